-- An email campaign: one template sent to the leads a list filter selects, in rate-limited batches.
create table email_campaigns (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  template_id uuid references email_templates (id) on delete set null,
  -- The lead filter, exactly as the leads list accepts it (re-validated when expanded).
  audience jsonb not null default '{}',
  variables jsonb not null default '{}',
  status text not null default 'scheduled'
    check (status in ('scheduled', 'sending', 'completed', 'cancelled')),
  send_at timestamptz not null default now(),
  rate_per_minute int not null check (rate_per_minute > 0),
  -- Audience expansion: set once every page of leads has its recipient rows.
  expanded_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index email_campaigns_created_idx on email_campaigns (created_at desc, id);

-- Campaign recipients are email_messages rows: one per lead, one per address.
alter table email_messages add column lead_id uuid;
alter table email_messages drop constraint email_messages_status_check;
alter table email_messages add constraint email_messages_status_check
  check (status in ('queued', 'sent', 'failed', 'suppressed', 'skipped', 'cancelled'));
create unique index email_messages_campaign_lead_idx on email_messages (campaign_id, lead_id)
  where campaign_id is not null;
create unique index email_messages_campaign_address_idx on email_messages (campaign_id, to_address)
  where campaign_id is not null and to_address <> '';
