-- Extensions tenant schemas rely on. On the default server the platform migration made them
-- already; a dedicated server gets them with its first tenant (pg_trgm is a trusted extension,
-- so the database owner may create it).
create extension if not exists pg_trgm with schema public;

-- Per-tenant configuration documents (scoring weights, thresholds, ...), one row per key.
create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);
