-- The queue's hot statements live in functions so that each session plans them once
-- (PL/pgSQL caches statement plans); planning them on every call cost more than running them.

-- Adds jobs (arrays: one element per job) and NOTIFYs the workers, delivered at commit. A key
-- already used by the tenant answers the existing job with created = false: INSERT ... ON
-- CONFLICT, no check-then-insert race. Ids are drawn up front so that each answer row finds
-- its request (p_* index `ord`, 1-based) again: by id when inserted, by key when it existed.
create function enqueue_jobs(
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

-- Claims up to p_limit runnable jobs, fair across tenants: a skip scan of the ready index lists
-- the tenants with waiting jobs, a LATERAL takes each tenant's best few (a tenant with 100,000
-- jobs costs no more than one with 3), and the candidates are taken by rank within their tenant,
-- round-robin. Rows another worker is claiming are skipped.
create function claim_jobs(
  p_worker text,
  p_limit integer,
  p_tenant_cap integer,
  p_default_lease_ms integer,
  p_kinds text[],
  p_lease_ms integer[]
) returns table (
  id bigint,
  kind text,
  payload jsonb,
  attempts integer,
  max_attempts integer,
  timeout_ms integer,
  run_at timestamptz,
  tenant_id uuid,
  client_code text,
  tenant_name text,
  tenant_status text,
  timezone text,
  default_country text,
  data_location text,
  tenant_created_at timestamptz,
  tenant_updated_at timestamptz
) language plpgsql as $$
#variable_conflict use_column
begin
  -- A claim lost in a server crash only leaves its jobs queued, to be claimed again: its commit
  -- need not wait for the WAL flush (the worker runs this statement in its own transaction).
  perform set_config('synchronous_commit', 'off', true);
  return query
  with recursive ready_tenants as (
    (select r.tenant_id from platform.jobs r where r.status in ('queued', 'failed')
     order by r.tenant_id limit 1)
    union all
    select (select r.tenant_id from platform.jobs r
            where r.status in ('queued', 'failed') and r.tenant_id > t.tenant_id
            order by r.tenant_id limit 1)
    from ready_tenants t where t.tenant_id is not null
  ),
  candidates as (
    select c.id, c.rank
    from ready_tenants t
    cross join lateral (
      select r.id, row_number() over (order by r.priority desc, r.run_at, r.id) as rank
      from platform.jobs r
      where r.tenant_id = t.tenant_id and r.status in ('queued', 'failed') and r.run_at <= now()
      order by r.priority desc, r.run_at, r.id
      limit case when p_tenant_cap is null then p_limit
        else greatest(0, least(p_limit, p_tenant_cap - (
          select count(*) from platform.jobs x where x.tenant_id = t.tenant_id and x.status = 'running')))
        end
    ) c
    where t.tenant_id is not null
    order by c.rank, c.id
    limit p_limit
  ),
  locked as (
    -- Primary-key lookups only (a status condition here lets the planner scan the whole ready
    -- index); the UPDATE below re-checks the status of the row it then holds.
    select r.id from platform.jobs r
    where r.id = any(array(select c.id from candidates c))
    for update of r skip locked
  )
  update platform.jobs j set
    status = 'running',
    attempts = j.attempts + 1,
    locked_by = p_worker,
    started_at = now(),
    locked_until = now() + coalesce(
      (select l.ms from unnest(p_kinds, p_lease_ms) as l (kind, ms) where l.kind = j.kind),
      p_default_lease_ms) * interval '1 millisecond'
  from locked, platform.tenants t
  where j.id = locked.id and t.id = j.tenant_id
    and j.status in ('queued', 'failed') and j.run_at <= now()
  returning j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.timeout_ms, j.run_at,
    t.id, t.client_code, t.name, t.status, t.timezone, t.default_country::text, t.data_location,
    t.created_at, t.updated_at;
end
$$;

-- Writes many outcomes at once. Only jobs this worker still holds at the same attempt are
-- touched: a job whose lease expired and was claimed elsewhere keeps the other run's state.
create function complete_jobs(
  p_worker text,
  p_ids bigint[],
  p_attempts integer[],
  p_statuses text[],
  p_delay_ms integer[],
  p_errors text[],
  p_codes text[],
  p_results text[]
) returns table (
  id bigint,
  tenant_id uuid,
  kind text,
  status text,
  attempts integer,
  max_attempts integer,
  last_error text,
  run_at timestamptz
) language plpgsql as $$
#variable_conflict use_column
begin
  return query
  update platform.jobs j set
    status = v.status,
    run_at = case when v.status = 'failed' then now() + v.delay_ms * interval '1 millisecond' else j.run_at end,
    finished_at = case when v.status = 'failed' then null else now() end,
    locked_by = null,
    locked_until = null,
    result = v.result::jsonb,
    last_error = coalesce(v.error, j.last_error),
    errors = case when v.error is null then j.errors else j.errors || jsonb_build_array(
      jsonb_build_object('attempt', j.attempts, 'at', now(), 'error', v.error, 'code', v.code)) end
  from unnest(p_ids, p_attempts, p_statuses, p_delay_ms, p_errors, p_codes, p_results)
    as v (id, attempt, status, delay_ms, error, code, result)
  where j.id = v.id and j.locked_by = p_worker and j.attempts = v.attempt and j.status = 'running'
  returning j.id, j.tenant_id, j.kind, j.status, j.attempts, j.max_attempts, j.last_error, j.run_at;
end
$$;
