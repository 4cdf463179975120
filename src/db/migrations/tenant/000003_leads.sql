create sequence lead_number_seq start 100001;

create table leads (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('lead_number_seq'),
  first_name text,
  last_name text,
  phone text not null,
  email text,
  company text,
  source text,
  city text,
  state text,
  pincode text,
  language text,
  status text not null default 'new'
    check (status in ('new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost', 'dormant')),
  tags text[] not null default '{}',
  score integer not null default 0 check (score between 0 and 100),
  follow_up_at timestamptz(3),
  custom_fields jsonb not null default '{}',
  assigned_agent_id uuid references agents (id),
  assigned_at timestamptz(3),
  unassigned_reason text,
  contact_id uuid,
  archived_at timestamptz(3),
  -- millisecond precision so keyset cursors round-trip exactly through JavaScript dates
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  search_text text generated always as (
    lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || phone || ' ' ||
      coalesce(email, '') || ' ' || coalesce(company, ''))
  ) stored,
  search_vector tsvector generated always as (
    to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
      coalesce(email, '') || ' ' || coalesce(company, ''))
  ) stored
);

-- One live lead per phone: duplicate ingests meet here (INSERT ... ON CONFLICT).
create unique index leads_live_phone_uq on leads (phone) where archived_at is null;
-- Sticky ownership looks up the owner of an archived lead with the same phone.
create index leads_archived_phone_idx on leads (phone) where archived_at is not null;
create index leads_created_idx on leads (created_at desc, id desc);
create index leads_updated_idx on leads (updated_at desc, id desc);
create index leads_score_idx on leads (score desc, id desc);
create index leads_status_created_idx on leads (status, created_at desc, id desc);
create index leads_source_idx on leads (source, created_at desc);
create index leads_agent_created_idx on leads (assigned_agent_id, created_at desc);
create index leads_unassigned_idx on leads (created_at) where assigned_agent_id is null and archived_at is null;
create index leads_state_idx on leads (lower(state));
create index leads_city_idx on leads (lower(city));
create index leads_follow_up_idx on leads (follow_up_at) where follow_up_at is not null;
create index leads_tags_idx on leads using gin (tags);
create index leads_search_trgm_idx on leads using gin (search_text gin_trgm_ops);
create index leads_search_fts_idx on leads using gin (search_vector);
