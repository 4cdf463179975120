-- Per-kind, per-tenant concurrency (issue 15): claim_jobs takes the capped kinds and their caps
-- (p_cap_kinds, p_caps). Its live definition (src/queue/sql/claim_jobs.sql) creates the new
-- signature after the migrations; the old one goes here.
drop function if exists claim_jobs(text, integer, integer, integer, text[], integer[]);
