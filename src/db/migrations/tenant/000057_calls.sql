-- Issue 21: automated calling. The call log (every call placed or received through a telephony
-- provider), the priority call queue the dialer works through, the tenant's calling settings, its
-- do-not-call list, each agent's presence, and the call fields a lead carries.
create sequence call_number_seq;

create table calls (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('call_number_seq'),
  lead_id uuid references leads (id) on delete set null,
  agent_id uuid references agents (id) on delete set null,
  -- The queue entry that placed it (dialer calls) and the campaign it counts towards.
  queue_entry_id uuid,
  campaign text,
  direction text not null check (direction in ('outbound', 'inbound')),
  mode text not null check (mode in ('dialer', 'click_to_call', 'inbound')),
  provider text not null default 'twilio',
  -- The provider's id of the leg to the customer (Twilio CallSid), unique once known.
  provider_call_sid text unique,
  from_number text not null,
  to_number text not null,
  -- The agent's phone the call was bridged to (or rung first, click-to-call).
  agent_number text,
  status text not null default 'queued' check (status in
    ('queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled')),
  -- Highest provider SequenceNumber applied to `status` (callbacks may arrive out of order).
  status_sequence integer not null default -1,
  -- What the call amounted to for the lead; set when the call ends.
  outcome text check (outcome in ('answered', 'missed_call', 'not_connected', 'switched_off')),
  abandoned boolean not null default false,
  -- The provider's answering machine detection result (human, machine_start, fax, unknown, …).
  answered_by text,
  sip_response_code integer,
  attempt integer not null default 1 check (attempt > 0),
  queued_at timestamptz(3) not null,
  initiated_at timestamptz(3),
  ringing_at timestamptz(3),
  answered_at timestamptz(3),
  bridged_at timestamptz(3),
  ended_at timestamptz(3),
  ring_seconds integer,
  talk_seconds integer,
  -- The bridged leg to the agent (a <Dial>).
  bridge_call_sid text,
  bridge_status text,
  -- Agents whose phones were rung for this call, in order (a second one when the first did not answer).
  tried_agent_ids uuid[] not null default '{}',
  recording_sid text,
  recording_key text,
  recording_seconds integer,
  price numeric(12, 5),
  price_unit text,
  error_code text,
  error_message text,
  disposition text check (disposition in ('follow_up', 'push_to_advisory', 'order_placed', 'lead_closed',
    'prospect', 'unqualified', 'reassign', 'dormant', 'lost')),
  disposition_reason text,
  disposition_at timestamptz(3),
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index calls_lead_idx on calls (lead_id, queued_at desc) where lead_id is not null;
create index calls_agent_idx on calls (agent_id, queued_at desc) where agent_id is not null;
create index calls_queued_idx on calls (queued_at desc, id desc);
-- Calls not yet final: "is this agent on a call", and the sweep of calls whose callbacks never came.
create index calls_open_idx on calls (agent_id) where status in ('queued', 'initiated', 'ringing', 'in-progress');
-- Abandonment over a rolling window, per campaign.
create index calls_campaign_answered_idx on calls (campaign, answered_at) where answered_at is not null;

-- The call queue: a lead waits here at most once (a partial unique index over the waiting states).
create table call_queue (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null references leads (id) on delete cascade,
  campaign text not null default 'default',
  priority text not null check (priority in ('urgent', 'high', 'medium', 'low')),
  -- 0 urgent … 3 low: the dialer's order is (priority_rank, queued_at).
  priority_rank smallint not null check (priority_rank between 0 and 3),
  status text not null default 'waiting' check (status in
    ('waiting', 'dialing', 'connected', 'not_connected', 'removed', 'do_not_call')),
  attempts integer not null default 0,
  -- Not dialled before this instant (retry backoff, no redial after an abandon).
  next_attempt_at timestamptz(3),
  last_call_id uuid,
  last_outcome text,
  -- The lead's candidate timezones (from its phone number's region), or the tenant's.
  timezones text[] not null,
  queued_at timestamptz(3) not null,
  finished_at timestamptz(3),
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index call_queue_waiting_lead_key on call_queue (lead_id) where status in ('waiting', 'dialing');
create index call_queue_order_idx on call_queue (priority_rank, queued_at, id) where status = 'waiting';
create index call_queue_status_idx on call_queue (status, queued_at desc, id desc);

-- One row: the tenant's calling rules (defaults until changed).
create table call_settings (
  id boolean primary key default true check (id),
  settings jsonb not null default '{}',
  updated_at timestamptz(3) not null default now()
);

-- The tenant's do-not-call list, by E.164 number.
create table do_not_call (
  phone text primary key,
  reason text,
  source text not null default 'manual' check (source in ('manual', 'lead_request', 'import', 'api')),
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default now()
);

-- Each agent's own presence setting and what the process last saw of their sockets and calls.
create table agent_presence (
  agent_id uuid primary key references agents (id) on delete cascade,
  -- The agent's own setting: 'available' takes dialer calls, 'away' does not.
  setting text not null default 'available' check (setting in ('available', 'away')),
  online boolean not null default false,
  last_seen_at timestamptz(3),
  -- After a call ends, the agent wraps up (notes, disposition) until this instant.
  wrap_up_until timestamptz(3),
  updated_at timestamptz(3) not null default now()
);

alter table leads
  add column do_not_call boolean not null default false,
  add column call_status text,
  add column call_attempts integer not null default 0,
  add column calls_answered integer not null default 0,
  add column calls_missed integer not null default 0,
  add column calls_not_connected integer not null default 0,
  add column calls_switched_off integer not null default 0,
  add column last_contact_at timestamptz(3),
  add column call_disposition text,
  add column call_disposition_reason text;
