create table meetings (
  id uuid primary key default gen_random_uuid(),
  -- The CRM core's lead (a plain reference until leads are merged).
  lead_id uuid,
  title text not null,
  start_at timestamptz not null,
  end_at timestamptz not null check (end_at > start_at),
  attendees jsonb not null default '[]',
  status text not null default 'pending' check (status in ('pending', 'ready', 'failed')),
  calendar_id text,
  calendar_event_id text,
  html_link text,
  hangout_link text,
  entry_points jsonb,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index meetings_lead_idx on meetings (lead_id, start_at);
