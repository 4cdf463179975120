create table email_templates (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  subject text not null,
  html text not null,
  text text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Addresses that must never be mailed again (unsubscribed or hard-bounced), lower-cased.
create table email_suppressions (
  address text primary key check (address = lower(address)),
  reason text not null check (reason in ('unsubscribed', 'bounced', 'manual')),
  created_at timestamptz not null default now()
);

-- One row per recipient of a send (a single message or, later, a campaign recipient).
create table email_messages (
  id uuid primary key default gen_random_uuid(),
  to_address text not null,
  template_id uuid references email_templates (id) on delete set null,
  variables jsonb not null default '{}',
  campaign_id uuid,
  status text not null default 'queued' check (status in ('queued', 'sent', 'failed', 'suppressed')),
  smtp_response text,
  provider_message_id text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index email_messages_campaign_idx on email_messages (campaign_id, status) where campaign_id is not null;
