-- Issue 20: tasks with SLAs counted in business time, SLA policies, and task templates on
-- pipeline stages. Times of the SLA clock: see src/tasks/sla-clock.ts.
create table sla_policies (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- null: any type / any priority; the most specific matching policy applies.
  task_type text check (task_type in ('pipeline', 'manual', 'follow_up', 'call', 'other')),
  priority text check (priority in ('low', 'medium', 'high', 'urgent')),
  sla_seconds integer not null check (sla_seconds > 0 and sla_seconds <= 366 * 86400),
  -- At risk when this share of the SLA time is left.
  at_risk_percent smallint not null default 20 check (at_risk_percent between 1 and 99),
  -- Task statuses during which the clock stops (e.g. waiting on the customer).
  pause_statuses text[] not null default '{waiting}',
  calendar_id uuid references calendars (id) on delete set null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index sla_policies_match_key on sla_policies (coalesce(task_type, '*'), coalesce(priority, '*'));

create sequence task_number_seq;

create table tasks (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('task_number_seq'),
  title text not null,
  description text,
  type text not null check (type in ('pipeline', 'manual', 'follow_up', 'call', 'other')),
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
  status text not null default 'pending'
    check (status in ('pending', 'in_progress', 'waiting', 'completed', 'overdue', 'cancelled')),
  lead_id uuid references leads (id) on delete cascade,
  contact_id uuid references contacts (id) on delete cascade,
  deal_id uuid references deals (id) on delete cascade,
  constraint tasks_one_record check (num_nonnulls(lead_id, contact_id, deal_id) <= 1),
  assignee_agent_id uuid references agents (id) on delete set null,
  due_at timestamptz(3),
  -- The SLA, fixed when the task gets it (a later change of its policy does not move it).
  sla_policy_id uuid references sla_policies (id) on delete set null,
  sla_seconds integer check (sla_seconds > 0),
  sla_at_risk_percent smallint,
  sla_pause_statuses text[],
  sla_calendar_id uuid,
  sla_status text not null default 'not_applicable'
    check (sla_status in ('on_track', 'at_risk', 'breached', 'completed', 'not_applicable')),
  sla_started_at timestamptz(3),
  -- Business time the clock ran before its current run; the run started at sla_running_since
  -- (null while paused or stopped).
  sla_consumed_ms bigint not null default 0,
  sla_running_since timestamptz(3),
  sla_at_risk_at timestamptz(3),
  sla_deadline timestamptz(3),
  sla_breached_at timestamptz(3),
  -- Business time past the deadline when the task was completed (null: met, or not completed).
  sla_breach_ms bigint,
  -- A pipeline task: the stage whose template made it, and the template's key.
  stage_id uuid references pipeline_stages (id) on delete set null,
  template_key text,
  completed_at timestamptz(3),
  completed_by text,
  completed_by_type text check (completed_by_type in ('user', 'api_key', 'system')),
  completed_by_id text,
  completion_note text,
  cancelled_at timestamptz(3),
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index tasks_assignee_status_idx on tasks (assignee_agent_id, status);
create index tasks_lead_idx on tasks (lead_id) where lead_id is not null;
create index tasks_contact_idx on tasks (contact_id) where contact_id is not null;
create index tasks_deal_idx on tasks (deal_id) where deal_id is not null;
create index tasks_due_idx on tasks (due_at) where status in ('pending', 'in_progress', 'waiting');
create index tasks_created_idx on tasks (created_at, id);
create index tasks_completed_idx on tasks (completed_at) where completed_at is not null;

-- Task workflows: a stage's templates make tasks for the record's owner on entry; leaving the
-- stage cancels the open ones it made unless the stage says not to.
alter table pipeline_stages
  add column task_templates jsonb not null default '[]',
  add column cancel_tasks_on_exit boolean not null default true;
