import { sql, type Kysely } from 'kysely';
import { toTenant, type Tenant } from '../tenancy/tenant.js';

/** A job a worker holds the lease of, with its tenant (fetched in the same statement). */
export interface ClaimedJob {
  id: number;
  tenant: Tenant;
  kind: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | null;
}

export interface ClaimRequest {
  workerId: string;
  limit: number;
  /** Most running jobs per tenant (across workers); null for no cap. */
  tenantConcurrency: number | null;
  defaultLeaseMs: number;
  leaseMsByKind: Map<string, number>;
  /** Most running jobs of a kind per tenant (across workers), by kind; kinds not here have none. */
  tenantConcurrencyByKind: Map<string, number>;
}

/** Claims up to `limit` runnable jobs, fair across tenants (see `platform.claim_jobs`). */
export async function claimJobs(db: Kysely<any>, request: ClaimRequest): Promise<ClaimedJob[]> {
  const { rows } = await sql<ClaimedRow>`
    select * from platform.claim_jobs(${request.workerId}, ${request.limit}::int,
      ${request.tenantConcurrency}::int, ${request.defaultLeaseMs}::int,
      ${[...request.leaseMsByKind.keys()]}::text[], ${[...request.leaseMsByKind.values()]}::int[],
      ${[...request.tenantConcurrencyByKind.keys()]}::text[],
      ${[...request.tenantConcurrencyByKind.values()]}::int[])
  `.execute(db);
  // The tenant's columns come with its first job only; its other jobs share the object.
  const tenants = new Map<string, Tenant>();
  for (const row of rows) if (row.client_code !== null) tenants.set(row.tenant_id, tenantOf(row));
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    tenant: tenants.get(row.tenant_id)!,
  }));
}

interface ClaimedRow {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  tenant_id: string;
  client_code: string | null;
  tenant_name: string;
  tenant_status: Tenant['status'];
  timezone: string;
  default_country: string;
  data_location: Tenant['dataLocation'];
  tenant_limits: unknown;
  tenant_created_at: Date;
  tenant_updated_at: Date;
}

/** `claim_jobs` renames the tenant's columns that clash with a job's (`tenant_name`, `tenant_created_at`, …). */
function tenantOf(row: Omit<ClaimedRow, 'timeout_ms'>): Tenant {
  return toTenant({
    id: row.tenant_id,
    client_code: row.client_code!,
    name: row.tenant_name,
    status: row.tenant_status,
    timezone: row.timezone,
    default_country: row.default_country,
    data_location: row.data_location,
    limits: row.tenant_limits,
    created_at: row.tenant_created_at,
    updated_at: row.tenant_updated_at,
  });
}

/** The outcome of one run, written with others in one statement; tenant and kind are the job's. */
export type Completion = {
  id: number;
  attempt: number;
  tenantId: string;
  kind: string;
} & (
  | { status: 'succeeded'; result: unknown }
  | { status: 'failed'; error: string; code: string; delayMs: number }
  | { status: 'dead'; error: string; code: string }
);

/** An outcome written (its job was still held by this worker at the same attempt). */
export interface WrittenOutcome {
  completion: Completion;
  /** When a failed job runs again; null for a finished one. */
  retryAt: Date | null;
}

/** Writes many outcomes in one statement (see `platform.complete_jobs`). */
export async function completeJobs(
  db: Kysely<any>,
  workerId: string,
  completions: Completion[],
): Promise<WrittenOutcome[]> {
  const pick = <T>(fn: (c: Completion) => T) => completions.map(fn);
  const { rows } = await sql<{ ord: number; run_at: Date | null }>`
    select * from platform.complete_jobs(
      ${workerId},
      ${pick((c) => c.id)}::bigint[],
      ${pick((c) => c.attempt)}::int[],
      ${pick((c) => c.status)}::text[],
      ${pick((c) => (c.status === 'failed' ? c.delayMs : 0))}::int[],
      ${pick((c) => (c.status === 'succeeded' ? null : c.error))}::text[],
      ${pick((c) => (c.status === 'succeeded' ? null : c.code))}::text[],
      ${pick((c) => (c.status === 'succeeded' ? serializeResult(c.result) : null))}::text[])
  `.execute(db);
  return rows.map((row) => ({ completion: completions[row.ord - 1]!, retryAt: row.run_at }));
}

function serializeResult(result: unknown): string | null {
  if (result === undefined) return null;
  try {
    return JSON.stringify(result) ?? null;
  } catch {
    return null;
  }
}

/** Wakes every worker listening on `channel` (they claim again). */
export async function notifyWorkers(db: Kysely<any>, channel: string): Promise<void> {
  await sql`select pg_notify(${channel}, '')`.execute(db);
}

/** Extends the leases of running jobs; answers the ids this worker still holds. */
export async function renewLeases(
  db: Kysely<any>,
  workerId: string,
  leases: { id: number; leaseMs: number }[],
): Promise<Set<number>> {
  const { rows } = await sql<{ id: number }>`
    update platform.jobs j set locked_until = now() + v.lease_ms * interval '1 millisecond'
    from unnest(${leases.map((l) => l.id)}::bigint[], ${leases.map((l) => l.leaseMs)}::int[])
      as v (id, lease_ms)
    where j.id = v.id and j.locked_by = ${workerId} and j.status = 'running'
    returning j.id
  `.execute(db);
  return new Set(rows.map((row) => row.id));
}

/** Gives jobs back to the queue without counting the attempt (graceful shutdown). */
export async function releaseJobs(db: Kysely<any>, workerId: string, ids: number[]): Promise<number> {
  const result = await sql`
    update platform.jobs set status = 'queued', attempts = attempts - 1, locked_by = null,
      locked_until = null, started_at = null, run_at = now()
    where id = any(${ids}::bigint[]) and locked_by = ${workerId} and status = 'running'
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** A job the lease sweep sent to `dead`, with its tenant, for its kind's `onDead`. */
export interface DeadJob extends Omit<ClaimedJob, 'timeoutMs'> {
  error: string;
}

/**
 * Jobs whose lease expired (their worker died or hung) go back to the queue, the attempt
 * counted and recorded, or to `dead` when it was their last. Answers how many were swept and
 * the dead ones.
 */
export async function reclaimExpiredLeases(db: Kysely<any>): Promise<{ reclaimed: number; dead: DeadJob[] }> {
  const { rows } = await sql<SweptRow>`
    with swept as (
      update platform.jobs j set
        status = case when j.attempts >= j.max_attempts then 'dead' else 'queued' end,
        finished_at = case when j.attempts >= j.max_attempts then now() end,
        run_at = now(),
        last_error = 'Lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped renewing it',
        errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempts, 'at', now(),
          'error', 'Lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped renewing it',
          'code', 'lease_expired')),
        locked_by = null,
        locked_until = null
      where j.id in (select id from platform.jobs where status = 'running' and locked_until < now()
                     for update skip locked)
      returning j.id, j.status, j.kind, j.payload, j.attempts, j.max_attempts, j.last_error, j.tenant_id
    )
    select s.*, t.client_code, t.name as tenant_name, t.status as tenant_status, t.timezone,
      t.default_country, t.data_location, t.limits as tenant_limits, t.created_at as tenant_created_at,
      t.updated_at as tenant_updated_at
    from swept s left join platform.tenants t on s.status = 'dead' and t.id = s.tenant_id
  `.execute(db);
  const dead = rows
    .filter((row) => row.status === 'dead' && row.client_code !== null)
    .map((row) => ({
      id: row.id,
      kind: row.kind,
      payload: row.payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      error: row.last_error,
      tenant: tenantOf(row),
    }));
  return { reclaimed: rows.length, dead };
}

type SweptRow = Omit<ClaimedRow, 'timeout_ms'> & { status: string; last_error: string };
