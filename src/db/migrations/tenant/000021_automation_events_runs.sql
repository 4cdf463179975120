-- One row per event the engine handled (API, internal, cron). `event_key` is the
-- idempotency key (the client's eventId, namespaced): duplicates meet on the unique index.
create table automation_events (
  id uuid primary key default gen_random_uuid(),
  event_key text,
  trigger text not null,
  source text not null check (source in ('api', 'internal', 'cron')),
  phone text,
  lead_id uuid references leads (id) on delete set null,
  variables jsonb not null default '{}',
  -- The answer given to the first request, replayed to duplicates.
  result jsonb,
  created_at timestamptz(3) not null default clock_timestamp()
);
create unique index automation_events_key_uq on automation_events (event_key) where event_key is not null;
create index automation_events_created_idx on automation_events (created_at desc);

create table automation_runs (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references automation_events (id) on delete cascade,
  rule_id uuid references automation_rules (id) on delete set null,
  rule_name text not null,
  trigger text not null,
  depth integer not null default 0,
  lead_id uuid references leads (id) on delete set null,
  -- The variables the rule ran with (the event's, plus a cascade's own such as `tag`).
  variables jsonb not null default '{}',
  status text not null check (status in ('running', 'succeeded', 'failed', 'waiting')),
  -- The rule's actions when the run started (a resumed run follows them, not later edits).
  rule_actions jsonb not null,
  outcomes jsonb not null default '[]',
  job_ids text[] not null default '{}',
  cascade_cut jsonb not null default '[]',
  created_at timestamptz(3) not null default clock_timestamp(),
  updated_at timestamptz(3) not null default clock_timestamp()
);
create index automation_runs_created_idx on automation_runs (created_at desc, id desc);
create index automation_runs_rule_idx on automation_runs (rule_id, created_at desc);
create index automation_runs_event_idx on automation_runs (event_id);
