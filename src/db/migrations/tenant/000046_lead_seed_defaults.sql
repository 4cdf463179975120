-- Seed defaults (issue 16).
-- A score set by hand: automatic scoring leaves it alone until it is cleared.
alter table leads add column score_manual boolean not null default false;
-- The time of the lead's newest activity entry, kept by every insert into lead_activities
-- (recordActivity, the ingest and the assignment statements), for sorting the list by it.
alter table leads add column last_activity_at timestamptz(3);
update leads l set last_activity_at = a.latest
  from (select lead_id, max(created_at) as latest from lead_activities group by lead_id) a
  where a.lead_id = l.id;
alter table leads alter column last_activity_at set default now();
create index leads_last_activity_idx on leads (last_activity_at desc nulls last, id desc);
create index leads_follow_up_sort_idx on leads (follow_up_at desc nulls last, id desc);
-- Name sort key (first name, then last name, case-insensitive), kept by Postgres.
alter table leads add column sort_name text generated always as
  (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) stored;
create index leads_sort_name_idx on leads (sort_name desc, id desc);
-- A territory rule whose lead's state no eligible agent covers gives the lead to the rule's
-- whole pool (false: it stays unassigned with `no_territory_match`, the behaviour before).
alter table assignment_rules add column territory_fallback boolean not null default true;
