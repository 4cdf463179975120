-- Issue 20: signals, "someone is waiting on us" (an inbound WhatsApp message not yet answered, a
-- missed call, …), each for the owner of the record it concerns, with an SLA deadline counted in
-- business time. Breached is derived (pending and sla_deadline <= now()), never stored as a status.
create sequence signal_number_seq;

create table signals (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('signal_number_seq'),
  type text not null check (type in ('whatsapp', 'call', 'email', 'system')),
  lead_id uuid references leads (id) on delete cascade,
  contact_id uuid references contacts (id) on delete cascade,
  deal_id uuid references deals (id) on delete cascade,
  constraint signals_one_record check (num_nonnulls(lead_id, contact_id, deal_id) = 1),
  -- Who the signal is for; visibility goes by it (as a lead's by its owner).
  owner_agent_id uuid references agents (id) on delete set null,
  -- The latest inbound text or preview.
  content text,
  inbound_count integer not null default 1 check (inbound_count > 0),
  status text not null default 'pending' check (status in ('pending', 'resolved')),
  sla_seconds integer not null check (sla_seconds > 0),
  -- Business time from the first unanswered inbound, on the owner's calendar; a refresh keeps it.
  sla_deadline timestamptz(3) not null,
  opened_at timestamptz(3) not null,
  last_inbound_at timestamptz(3) not null,
  -- When the breach notification went out (once; the breach itself is derived).
  breach_notified_at timestamptz(3),
  resolved_at timestamptz(3),
  resolved_by text,
  resolved_by_type text check (resolved_by_type in ('user', 'api_key', 'system')),
  resolved_by_id text,
  resolution text check (resolution in ('replied', 'manual')),
  resolution_note text,
  constraint signals_resolved_complete check ((status = 'resolved') = (resolved_at is not null and resolution is not null)),
  -- Where it came from, e.g. the WhatsApp conversation.
  source_kind text,
  source_id text,
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
-- At most one pending signal per type and lead: a second inbound refreshes it.
create unique index signals_pending_lead_key on signals (type, lead_id)
  where status = 'pending' and lead_id is not null;
-- The list's filters: pending / breached (status, deadline), per owner, by opening and resolution.
create index signals_status_deadline_idx on signals (status, sla_deadline, id);
create index signals_owner_status_idx on signals (owner_agent_id, status, sla_deadline);
create index signals_opened_idx on signals (opened_at, id);
create index signals_resolved_idx on signals (resolved_at) where resolved_at is not null;
create index signals_lead_idx on signals (lead_id) where lead_id is not null;
create index signals_contact_idx on signals (contact_id) where contact_id is not null;
create index signals_deal_idx on signals (deal_id) where deal_id is not null;
