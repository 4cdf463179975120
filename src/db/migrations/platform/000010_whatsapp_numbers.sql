-- Routes Meta webhook changes to their tenant: a phone number id belongs to one tenant only.
create table whatsapp_numbers (
  phone_number_id text primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index whatsapp_numbers_tenant_idx on whatsapp_numbers (tenant_id);
