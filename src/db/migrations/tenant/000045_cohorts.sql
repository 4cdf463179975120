-- A cohort: a saved leads-list filter with a name (the filter exactly as GET /leads accepts it,
-- re-validated whenever it is used).
create table cohorts (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  filter jsonb not null default '{}',
  created_by text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index cohorts_name_uq on cohorts (lower(name));
create index cohorts_created_idx on cohorts (created_at desc, id desc);

-- A distribution of a cohort's leads across chosen agents (the cohorts.assign job), numbered
-- per tenant for people (CAJ-1, CAJ-2, …) as leads are (LD-100001). It keeps the filter and the
-- agents' capacities it started with; its counts move in the same transaction as each lead's
-- outcome, so a retried job continues after the last lead it committed.
create sequence cohort_assignment_number_seq;
create table cohort_assignments (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('cohort_assignment_number_seq'),
  cohort_id uuid references cohorts (id) on delete set null,
  cohort_name text not null,
  filter jsonb not null,
  -- [{ "agentId": …, "name": …, "capacity": n }]
  agents jsonb not null,
  capacity_basis text not null check (capacity_basis in ('dailyLimit', 'weight')),
  only_unassigned boolean not null,
  max_leads int,
  -- Leads created after the job was asked for are not part of it (the engine assigns them at ingest).
  until_number bigint not null,
  -- The reference number of the last lead with an outcome: the walk continues after it.
  last_number bigint not null default 0,
  actor text,
  status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
  processed int not null default 0,
  assigned int not null default 0,
  skipped int not null default 0,
  failed int not null default 0,
  failure text,
  created_at timestamptz(3) not null default now(),
  started_at timestamptz(3),
  completed_at timestamptz(3),
  updated_at timestamptz(3) not null default now()
);
create index cohort_assignments_cohort_idx on cohort_assignments (cohort_id, number desc);
-- One distribution at a time per cohort.
create unique index cohort_assignments_active_uq on cohort_assignments (cohort_id)
  where status in ('queued', 'running');

-- Each lead's outcome in a distribution, written with the assignment itself: a lead that has
-- one is never handled again by that distribution (idempotent across retries and crashes).
create table cohort_assignment_leads (
  assignment_id uuid not null references cohort_assignments (id) on delete cascade,
  lead_id uuid not null,
  position int not null,
  lead_number bigint,
  outcome text not null check (outcome in ('assigned', 'skipped', 'failed')),
  agent_id uuid,
  reason text,
  created_at timestamptz(3) not null default now(),
  primary key (assignment_id, lead_id)
);
create unique index cohort_assignment_leads_position_uq on cohort_assignment_leads (assignment_id, position);
