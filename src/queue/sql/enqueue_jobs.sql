-- enqueue_jobs: adds jobs (arrays: one element per job) and NOTIFYs the workers, delivered at
-- commit. Called by PostgresJobQueue.enqueue (src/queue/postgres-job-queue.ts).
-- A key already used by the tenant answers the existing job with created = false: INSERT ... ON
-- CONFLICT, no check-then-insert race. Ids are drawn up front so that each answer row finds its
-- request (p_* index `ord`, 1-based) again: by id when inserted, by key when it existed.
-- In a function so that each session plans the statement once (PL/pgSQL caches statement plans).
-- Live definition: edit it here, src/db/migrate.ts reapplies it (CONTRIBUTING.md, "Migrations").

create or replace function enqueue_jobs(
  p_tenant_ids uuid[],
  p_kinds text[],
  p_payloads text[],
  p_priorities integer[],
  p_run_ats timestamptz[],
  p_max_attempts integer[],
  p_timeouts integer[],
  p_keys text[],
  p_channel text
) returns table (ord integer, id bigint, created boolean) language plpgsql as $$
#variable_conflict use_column
begin
  return query
  with input as (
    select nextval(pg_get_serial_sequence('platform.jobs', 'id')) as id, i.*
    from unnest(p_tenant_ids, p_kinds, p_payloads, p_priorities, p_run_ats, p_max_attempts,
      p_timeouts, p_keys)
      with ordinality as i (tenant_id, kind, payload, priority, run_at, max_attempts, timeout_ms,
        idempotency_key, ord)
  ),
  inserted as (
    insert into platform.jobs
      (id, tenant_id, kind, payload, priority, run_at, max_attempts, timeout_ms, idempotency_key)
    select i.id, i.tenant_id, i.kind, i.payload::jsonb, i.priority, coalesce(i.run_at, now()),
      i.max_attempts, i.timeout_ms, i.idempotency_key
    from input i
    on conflict (tenant_id, idempotency_key) where idempotency_key is not null
      do update set idempotency_key = excluded.idempotency_key
    returning platform.jobs.id, platform.jobs.tenant_id, platform.jobs.idempotency_key,
      platform.jobs.xmax = 0 as created
  ),
  notified as (select pg_notify(p_channel, '') from inserted r where r.created limit 1)
  select coalesce(by_id.ord, by_key.ord)::integer, r.id, r.created
  from inserted r
  left join input by_id on by_id.id = r.id
  left join input by_key on by_key.tenant_id = r.tenant_id and by_key.idempotency_key = r.idempotency_key
  where (select count(*) from notified) >= 0;
end
$$;
