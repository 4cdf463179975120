-- Issue 19: pipelines with ordered stages, the stage history of leads, contacts and deals, and deals.

create sequence pipeline_number_seq start 1;

-- A tenant's pipelines, several per kind of record (one per product line, agent category, …).
create table pipelines (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('pipeline_number_seq'),
  kind text not null check (kind in ('lead', 'contact', 'deal')),
  name text not null,
  -- forward_only: a move goes to a later stage (reopening a won or lost record excepted); free: anywhere.
  mode text not null default 'forward_only' check (mode in ('forward_only', 'free')),
  -- The pipeline new records of its kind enter when none is named (at most one per kind).
  is_default boolean not null default false,
  -- Accepting a quotation moves its deal to the pipeline's first won stage.
  win_on_quotation_accepted boolean not null default false,
  archived_at timestamptz(3),
  created_at timestamptz(3) not null default clock_timestamp(),
  updated_at timestamptz(3) not null default clock_timestamp()
);
create unique index pipelines_name_uq on pipelines (kind, lower(name)) where archived_at is null;
create unique index pipelines_default_uq on pipelines (kind) where is_default and archived_at is null;

create table pipeline_stages (
  id uuid primary key default gen_random_uuid(),
  pipeline_id uuid not null references pipelines (id) on delete cascade,
  -- 1, 2, 3 … in the pipeline's order.
  position integer not null check (position > 0),
  name text not null,
  -- Win probability of a deal in this stage, in percent (a deal may override it).
  probability integer not null default 0 check (probability between 0 and 100),
  -- Rotting: a record sat here longer than this many days (from entry or last activity, the later).
  rotting_days integer check (rotting_days is null or rotting_days > 0),
  -- API field names that must be filled to enter the stage (`amount`, `email`, `customFields.x`).
  required_fields text[] not null default '{}',
  -- A won or a lost stage: entering it needs a reason, leaving it needs `reopen`.
  outcome text check (outcome in ('won', 'lost')),
  -- Lead pipelines: the status a lead takes on entering (the stage is the source of truth).
  lead_status text,
  created_at timestamptz(3) not null default clock_timestamp(),
  unique (pipeline_id, position) deferrable initially deferred
);
create unique index pipeline_stages_name_uq on pipeline_stages (pipeline_id, lower(name));

-- Where a lead or a contact stands (a deal always has a pipeline and stage, below).
alter table leads
  add column pipeline_id uuid references pipelines (id),
  add column stage_id uuid references pipeline_stages (id),
  add column stage_entered_at timestamptz(3);
create index leads_stage_idx on leads (stage_id) where stage_id is not null;
alter table contacts
  add column pipeline_id uuid references pipelines (id),
  add column stage_id uuid references pipeline_stages (id),
  add column stage_entered_at timestamptz(3),
  -- A contact's pipeline is closed when a deal is created for it.
  add column pipeline_closed_at timestamptz(3);
create index contacts_stage_idx on contacts (stage_id) where stage_id is not null;

-- The stage history of every record: one entry per stage entered, never rewritten (only its
-- `exited_at` is set, once, when the record moves on). A record's current stage is its open entry;
-- at most one is open per record (the unique index): concurrent moves cannot fork the history.
create table stage_history (
  id bigint generated always as identity primary key,
  record_kind text not null check (record_kind in ('lead', 'contact', 'deal')),
  record_id uuid not null,
  pipeline_id uuid not null references pipelines (id),
  stage_id uuid not null references pipeline_stages (id),
  entered_at timestamptz(3) not null default clock_timestamp(),
  exited_at timestamptz(3),
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  reason text,
  check (exited_at is null or exited_at >= entered_at)
);
create unique index stage_history_open_uq on stage_history (record_kind, record_id) where exited_at is null;
create index stage_history_record_idx on stage_history (record_kind, record_id, id);
create index stage_history_stage_idx on stage_history (stage_id, entered_at);

create function stage_history_append_only() returns trigger language plpgsql as $$
begin
  if old.exited_at is not null or new.exited_at is null
    or (new.record_kind, new.record_id, new.pipeline_id, new.stage_id, new.entered_at, new.actor,
        new.actor_type, new.actor_id, new.reason)
      is distinct from (old.record_kind, old.record_id, old.pipeline_id, old.stage_id, old.entered_at,
        old.actor, old.actor_type, old.actor_id, old.reason) then
    raise exception 'stage history is append-only: only an open entry''s exited_at may be set'
      using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger stage_history_append_only before update on stage_history
  for each row execute function stage_history_append_only();

create sequence deal_number_seq start 1;

create table deals (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('deal_number_seq'),
  title text not null,
  pipeline_id uuid not null references pipelines (id),
  stage_id uuid not null references pipeline_stages (id),
  stage_entered_at timestamptz(3) not null default clock_timestamp(),
  lead_id uuid references leads (id) on delete set null,
  contact_id uuid references contacts (id) on delete set null,
  -- The owner is an agent profile (a user who sells has one): visibility goes by it, as for leads.
  owner_agent_id uuid references agents (id) on delete set null,
  -- Minor units of `currency` (ISO 4217): 1999 EUR is 19.99 €.
  amount bigint not null default 0 check (amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- Null: the stage's probability.
  probability integer check (probability between 0 and 100),
  expected_close_date date,
  status text not null default 'open' check (status in ('open', 'won', 'lost', 'closed', 'order_created')),
  close_reason text,
  closed_at timestamptz(3),
  tags text[] not null default '{}',
  custom_fields jsonb not null default '{}',
  last_activity_at timestamptz(3) not null default clock_timestamp(),
  created_at timestamptz(3) not null default clock_timestamp(),
  updated_at timestamptz(3) not null default clock_timestamp()
);
create index deals_pipeline_stage_idx on deals (pipeline_id, stage_id, created_at desc, id desc);
create index deals_owner_idx on deals (owner_agent_id, created_at desc, id desc);
create index deals_status_idx on deals (status, created_at desc, id desc);
create index deals_created_idx on deals (created_at desc, id desc);
create index deals_expected_close_idx on deals (expected_close_date) where expected_close_date is not null;
create index deals_amount_idx on deals (amount);
create index deals_lead_idx on deals (lead_id) where lead_id is not null;
create index deals_contact_idx on deals (contact_id) where contact_id is not null;
create index deals_tags_idx on deals using gin (tags);

-- A deal's timeline and notes, as a lead's (`lead_activities`, `lead_notes`).
create table deal_activities (
  id bigint generated always as identity primary key,
  deal_id uuid not null references deals (id) on delete cascade,
  kind text not null,
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  data jsonb not null default '{}',
  created_at timestamptz(3) not null default clock_timestamp()
);
create index deal_activities_deal_idx on deal_activities (deal_id, id);

create table deal_notes (
  id uuid primary key default gen_random_uuid(),
  deal_id uuid not null references deals (id) on delete cascade,
  body text not null,
  author text,
  author_type text check (author_type in ('user', 'api_key', 'system')),
  author_id text,
  created_at timestamptz(3) not null default clock_timestamp()
);
create index deal_notes_deal_idx on deal_notes (deal_id, created_at);
