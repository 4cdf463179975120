-- claim_jobs: leases up to p_limit runnable jobs to worker p_worker, fair across tenants.
-- Called by claimJobs (src/queue/worker.repository.ts), i.e. the JobWorker's claim loop.
-- A skip scan of the ready index lists the tenants with waiting jobs, a LATERAL takes each
-- tenant's best few (a tenant with 100,000 jobs costs no more than one with 3), and the
-- candidates are taken by rank within their tenant, round-robin; rows another worker is claiming
-- are skipped. A tenant's columns come on its first job of the claim only (null on the others).
-- Claimed jobs come in round-robin order, since a worker claiming ahead of its free slots starts
-- them in order. In a function so that each session plans its statements once.
--
-- Kinds capped per tenant (p_cap_kinds, at most p_caps running per tenant; the contract's
-- tenantConcurrency): when the candidates hold a job of such a kind, the claim takes a
-- transaction-level advisory lock per (tenant, kind) among them, in one order (no deadlock), and
-- then picks again with a fresh snapshot (each statement of this volatile function takes one, so
-- it sees what a worker that held the lock before it committed): a capped kind's jobs only up to
-- the room left (running counts every 'running' row, lease expired or not, until the sweep
-- requeues it), and the tenant's next jobs of other kinds in place of those skipped. Two workers
-- claiming the same tenant's capped kind at once thus take turns; a claim whose candidates hold
-- no capped job takes no lock and picks once.
-- Live definition: edit it here, src/db/migrate.ts reapplies it (CONTRIBUTING.md, "Migrations").

create or replace function claim_jobs(
  p_worker text,
  p_limit integer,
  p_tenant_cap integer,
  p_default_lease_ms integer,
  p_kinds text[],
  p_lease_ms integer[],
  p_cap_kinds text[],
  p_caps integer[]
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
declare
  v_ids bigint[];
  v_tenants uuid[];
  v_kinds text[];
  v_capped boolean;
  v_pair record;
  v_pair_tenants uuid[] := '{}';
  v_pair_kinds text[] := '{}';
  v_pair_rooms integer[] := '{}';
begin
  -- A claim lost in a server crash only leaves its jobs queued, to be claimed again: its commit
  -- need not wait for the WAL flush (the worker runs this statement in its own transaction).
  perform set_config('synchronous_commit', 'off', true);

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
    select c.id, c.rank, c.tenant_id, c.kind
    from ready_tenants t
    cross join lateral (
      select r.id, r.tenant_id, r.kind,
        row_number() over (order by r.priority desc, r.run_at, r.id) as rank
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
  )
  select array_agg(c.id order by c.rank, c.id), array_agg(c.tenant_id), array_agg(c.kind),
    coalesce(bool_or(c.kind = any(p_cap_kinds)), false)
  into v_ids, v_tenants, v_kinds, v_capped
  from candidates c;

  if v_ids is null then
    return;
  end if;

  if v_capped then
    -- One lock per (tenant, capped kind) among the candidates, always in the same order.
    for v_pair in
      select p.tenant_id, p.kind, min(c.cap) as cap, count(*) as found
      from unnest(v_tenants, v_kinds) as p (tenant_id, kind)
      join unnest(p_cap_kinds, p_caps) as c (kind, cap) on c.kind = p.kind
      group by p.tenant_id, p.kind
      order by p.tenant_id, p.kind
    loop
      perform pg_advisory_xact_lock(hashtext('claim_jobs:' || v_pair.kind), hashtext(v_pair.tenant_id::text));
      -- Counted after the lock: a new snapshot, with the claims of whoever held it committed.
      v_pair_tenants := v_pair_tenants || v_pair.tenant_id;
      v_pair_kinds := v_pair_kinds || v_pair.kind;
      v_pair_rooms := v_pair_rooms || least(v_pair.found, v_pair.cap - (
        select count(*) from platform.jobs x
        where x.tenant_id = v_pair.tenant_id and x.kind = v_pair.kind and x.status = 'running'))::integer;
    end loop;

    -- Again, without the capped kinds, plus each locked (tenant, kind)'s best jobs up to its room;
    -- a capped kind not locked here is not claimed (its running count was not read under the lock).
    with recursive ready_tenants as (
      (select r.tenant_id from platform.jobs r where r.status in ('queued', 'failed')
       order by r.tenant_id limit 1)
      union all
      select (select r.tenant_id from platform.jobs r
              where r.status in ('queued', 'failed') and r.tenant_id > t.tenant_id
              order by r.tenant_id limit 1)
      from ready_tenants t where t.tenant_id is not null
    ),
    tenants as (
      select t.tenant_id, case when p_tenant_cap is null then p_limit
        else greatest(0, least(p_limit, p_tenant_cap - (
          select count(*) from platform.jobs x where x.tenant_id = t.tenant_id and x.status = 'running')))
        end as room
      from ready_tenants t where t.tenant_id is not null
    ),
    pool as (
      select c.id, c.tenant_id, c.priority, c.run_at
      from tenants t
      cross join lateral (
        select r.id, r.tenant_id, r.priority, r.run_at
        from platform.jobs r
        where r.tenant_id = t.tenant_id and r.status in ('queued', 'failed') and r.run_at <= now()
          and r.kind <> all(p_cap_kinds)
        order by r.priority desc, r.run_at, r.id
        limit t.room
      ) c
      union all
      select c.id, c.tenant_id, c.priority, c.run_at
      from unnest(v_pair_tenants, v_pair_kinds, v_pair_rooms) as k (tenant_id, kind, room)
      cross join lateral (
        select r.id, r.tenant_id, r.priority, r.run_at
        from platform.jobs r
        where r.tenant_id = k.tenant_id and r.status in ('queued', 'failed') and r.run_at <= now()
          and r.kind = k.kind
        order by r.priority desc, r.run_at, r.id
        limit greatest(0, k.room)
      ) c
    ),
    ranked as (
      select p.id, p.tenant_id,
        row_number() over (partition by p.tenant_id order by p.priority desc, p.run_at, p.id) as rank
      from pool p
    ),
    candidates as (
      select r.id, r.rank from ranked r join tenants t on t.tenant_id = r.tenant_id
      where r.rank <= t.room
      order by r.rank, r.id
      limit p_limit
    )
    select array_agg(c.id order by c.rank, c.id) into v_ids from candidates c;

    if v_ids is null then
      return;
    end if;
  end if;

  return query
  with candidates as (
    select k.id, k.ord from unnest(v_ids) with ordinality as k (id, ord)
  ),
  locked as (
    -- Primary-key lookups only (a status condition here lets the planner scan the whole ready
    -- index); the UPDATE below re-checks the status of the row it then holds.
    select r.id from platform.jobs r
    where r.id = any(v_ids)
    for update of r skip locked
  ),
  claimed as (
    update platform.jobs j set
      status = 'running',
      attempts = j.attempts + 1,
      locked_by = p_worker,
      -- The claim's own time, not its transaction's start (now()): a claim that waited for a
      -- (tenant, kind) lock starts after the run it waited for finished.
      started_at = clock_timestamp(),
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
  order by k.ord;
end
$$;
