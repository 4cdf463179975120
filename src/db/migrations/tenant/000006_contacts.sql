create table contacts (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid unique references leads (id) on delete set null,
  first_name text,
  last_name text,
  phone text,
  email text,
  company text,
  city text,
  state text,
  notes text,
  custom_fields jsonb not null default '{}',
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
alter table leads add constraint leads_contact_fk foreign key (contact_id) references contacts (id) on delete set null;
