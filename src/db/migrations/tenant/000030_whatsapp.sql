-- Raw webhook changes routed to this tenant, kept until processed (and after, for audit).
create table whatsapp_events (
  id uuid primary key default gen_random_uuid(),
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);
create index whatsapp_events_unprocessed_idx on whatsapp_events (received_at) where processed_at is null;

create table conversations (
  id uuid primary key default gen_random_uuid(),
  channel text not null default 'whatsapp' check (channel in ('whatsapp')),
  phone_number_id text not null,
  wa_id text not null,
  contact_name text,
  -- Set by the CRM core's lead matching (linkConversationToLead).
  lead_id uuid,
  unread_count integer not null default 0,
  last_inbound_at timestamptz,
  last_message_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (phone_number_id, wa_id)
);
create index conversations_recent_idx on conversations (last_message_at desc nulls last, id);
create index conversations_lead_idx on conversations (lead_id);

create table messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references conversations (id) on delete cascade,
  direction text not null check (direction in ('inbound', 'outbound')),
  -- Meta's message id; unique so a redelivered webhook stores a message once.
  wamid text unique,
  type text not null,
  body text,
  content jsonb not null default '{}',
  status text not null check (status in ('received', 'queued', 'accepted', 'sent', 'delivered', 'read', 'played', 'failed')),
  errors jsonb,
  media_id text,
  media_mime_type text,
  media_sha256 text,
  media_key text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index messages_conversation_idx on messages (conversation_id, created_at desc, id desc);

-- Statuses that arrived before their message was known; applied when it appears.
create table whatsapp_pending_statuses (
  wamid text not null,
  status text not null,
  status_at timestamptz not null,
  errors jsonb,
  received_at timestamptz not null default now(),
  primary key (wamid, status)
);

-- System-level errors Meta reports in `value.errors`.
create table whatsapp_errors (
  id uuid primary key default gen_random_uuid(),
  phone_number_id text,
  code integer,
  title text,
  details jsonb not null,
  received_at timestamptz not null default now()
);

create table whatsapp_templates (
  name text not null,
  language text not null,
  template_id text not null,
  status text not null,
  category text,
  parameter_format text,
  components jsonb not null default '[]',
  synced_at timestamptz not null default now(),
  primary key (name, language)
);

-- Health of each external channel as last observed (e.g. an invalid WhatsApp token).
create table channel_health (
  channel text primary key,
  healthy boolean not null,
  last_error text,
  updated_at timestamptz not null default now()
);
