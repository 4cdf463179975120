-- claim_jobs: leases up to p_limit runnable jobs to worker p_worker, fair across tenants.
-- Called by claimJobs (src/queue/worker.repository.ts), i.e. the JobWorker's claim loop.
-- A skip scan of the ready index lists the tenants with waiting jobs, a LATERAL takes each
-- tenant's best few (a tenant with 100,000 jobs costs no more than one with 3), and the
-- candidates are taken by rank within their tenant, round-robin; rows another worker is claiming
-- are skipped. A tenant's columns come on its first job of the claim only (null on the others).
-- Claimed jobs come in round-robin order, since a worker claiming ahead of its free slots starts
-- them in order. In a function so that each session plans the statement once.
-- Live definition: edit it here, src/db/migrate.ts reapplies it (CONTRIBUTING.md, "Migrations").

create or replace function claim_jobs(
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
  tenant_id uuid,
  client_code text,
  tenant_name text,
  tenant_status text,
  timezone text,
  default_country text,
  data_location text,
  tenant_limits jsonb,
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
  ),
  claimed as (
    update platform.jobs j set
      status = 'running',
      attempts = j.attempts + 1,
      locked_by = p_worker,
      started_at = now(),
      locked_until = now() + coalesce(
        (select l.ms from unnest(p_kinds, p_lease_ms) as l (kind, ms) where l.kind = j.kind),
        p_default_lease_ms) * interval '1 millisecond'
    from locked
    where j.id = locked.id and j.status in ('queued', 'failed') and j.run_at <= now()
    returning j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.timeout_ms, j.tenant_id
  ),
  numbered as (
    select c.*, row_number() over (partition by c.tenant_id order by c.id) as nth from claimed c
  )
  select c.id, c.kind, c.payload, c.attempts, c.max_attempts, c.timeout_ms, c.tenant_id,
    t.client_code, t.name, t.status, t.timezone, t.default_country::text, t.data_location,
    t.limits, t.created_at, t.updated_at
  from numbered c
  join candidates k on k.id = c.id
  left join platform.tenants t on c.nth = 1 and t.id = c.tenant_id
  -- In round-robin order: the worker starts them in this order when it has fewer free slots.
  order by k.rank, k.id;
end
$$;
