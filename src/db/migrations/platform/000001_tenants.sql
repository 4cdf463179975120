create extension if not exists pg_trgm with schema public;

create table tenants (
  id uuid primary key default gen_random_uuid(),
  client_code text not null unique check (client_code ~ '^[a-z][a-z0-9_]{1,39}$'),
  name text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  timezone text not null default 'UTC',
  default_country char(2) not null default 'US',
  -- 'default' = the default server; 'dedicated' = the URL in the tenant's 'database' secret
  data_location text not null default 'default' check (data_location in ('default', 'dedicated')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  label text not null,
  scopes text[] not null default array['*'],
  prefix text not null unique,
  key_hash text not null,
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_tenant_idx on api_keys (tenant_id);

create table tenant_secrets (
  tenant_id uuid not null references tenants (id) on delete cascade,
  kind text not null,
  key_id text not null,
  ciphertext text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, kind)
);
create index tenant_secrets_key_idx on tenant_secrets (key_id);
