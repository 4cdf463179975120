-- Issue 19: quotations of deals, versioned. The quotation row holds what a version does not
-- change (its deal, currency, status and expiry); each version is a snapshot of its lines and the
-- totals the server computed from them. Editing a draft rewrites its current version; editing a
-- shared (or later) quotation adds a version and puts it back to draft. Old versions stay.

create sequence quotation_number_seq start 1;

create table quotations (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('quotation_number_seq'),
  deal_id uuid not null references deals (id) on delete cascade,
  status text not null default 'draft'
    check (status in ('draft', 'shared', 'accepted', 'rejected', 'expired')),
  -- The deal's currency when the quotation was made (amounts are minor units of it).
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  current_version integer not null default 1 check (current_version > 0),
  expires_at timestamptz(3),
  shared_at timestamptz(3),
  accepted_at timestamptz(3),
  rejected_at timestamptz(3),
  expired_at timestamptz(3),
  created_at timestamptz(3) not null default clock_timestamp(),
  updated_at timestamptz(3) not null default clock_timestamp()
);
create index quotations_deal_idx on quotations (deal_id, created_at desc, id desc);
-- The expiry cron: shared quotations by expiry.
create index quotations_expiry_idx on quotations (expires_at) where status = 'shared';

create table quotation_versions (
  quotation_id uuid not null references quotations (id) on delete cascade,
  version integer not null check (version > 0),
  -- The lines as entered, each with its computed gross, discount, net, tax and total.
  lines jsonb not null,
  subtotal bigint not null check (subtotal >= 0),
  discount_total bigint not null check (discount_total >= 0),
  tax_total bigint not null check (tax_total >= 0),
  total bigint not null check (total >= 0),
  payment_type text not null check (payment_type in ('prepaid', 'cod', 'partial')),
  prepaid_amount bigint not null check (prepaid_amount >= 0),
  cod_amount bigint not null check (cod_amount >= 0),
  notes text,
  terms text,
  actor text,
  actor_type text check (actor_type in ('user', 'api_key', 'system')),
  actor_id text,
  created_at timestamptz(3) not null default clock_timestamp(),
  updated_at timestamptz(3) not null default clock_timestamp(),
  primary key (quotation_id, version),
  check (prepaid_amount + cod_amount = total),
  check (subtotal - discount_total + tax_total = total)
);
