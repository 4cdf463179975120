-- Per-tenant overrides of process-wide limits (issue 15), set by the platform operator only:
-- a jsonb object such as {"importMaxBytes": 1000}; an absent key means the process's value
-- (src/tenancy/tenant-limits.ts validates the keys and values).
alter table tenants add column limits jsonb not null default '{}'::jsonb
  check (jsonb_typeof(limits) = 'object');

-- claim_jobs answers the tenant's limits with its other columns: a new return type, so the old
-- function goes; its live definition (src/queue/sql/claim_jobs.sql) creates the new one.
drop function claim_jobs(text, integer, integer, integer, text[], integer[]);
