-- Per-tenant configuration documents (scoring weights, thresholds, ...), one row per key.
create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);
