-- Routes account-level webhook changes (template status, quality, category) to their tenant by
-- entry.id, the WhatsApp Business Account id: a WABA belongs to one tenant, a tenant has one WABA.
create table whatsapp_business_accounts (
  waba_id text primary key,
  tenant_id uuid not null unique references tenants (id) on delete cascade,
  created_at timestamptz not null default now()
);
