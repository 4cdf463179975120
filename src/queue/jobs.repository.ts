import { sql, type Selectable } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import { jobsChannel } from './postgres-job-queue.js';
import type { JobsTable, JobStatus } from './queue.tables.js';

export interface JobFilter {
  tenantId?: string;
  status?: JobStatus;
  kind?: string;
  /** The previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export type JobRow = Selectable<JobsTable>;

const jobKeyset: Keyset = { list: 'jobs', columns: [['id', 'bigint']], direction: 'desc' };

/** Newest first, keyset-paginated by id. */
export async function listJobs<T>(
  db: PlatformDb,
  filter: JobFilter,
  map: (row: JobRow) => T,
): Promise<Page<T>> {
  let query = db.selectFrom('jobs').selectAll();
  if (filter.tenantId) query = query.where('tenant_id', '=', filter.tenantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  return pageOf(query, jobKeyset, filter, map);
}

export async function findJob(db: PlatformDb, tenantId: string, id: number): Promise<JobRow | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** A tenant's jobs with the given ids (those that still exist: finished jobs are pruned). */
export async function findJobs(db: PlatformDb, tenantId: string, ids: number[]): Promise<JobRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
}

/**
 * A dead or failed job goes back to the queue now with a fresh set of attempts (its error
 * history stays). Answers undefined when the job is not in one of those states.
 */
export async function requeueJob(db: PlatformDb, tenantId: string, id: number): Promise<JobRow | undefined> {
  const row = await db
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: sql<Date>`now()`, finished_at: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', ['dead', 'failed'])
    .returningAll()
    .executeTakeFirst();
  if (row) await sql`select pg_notify(${jobsChannel}, '')`.execute(db);
  return row;
}

/** Cancels a job that waits to run (queued, or failed and waiting for its retry). */
export async function cancelJob(db: PlatformDb, tenantId: string, id: number): Promise<JobRow | undefined> {
  return db
    .updateTable('jobs')
    .set({ status: 'cancelled', finished_at: sql<Date>`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'failed'])
    .returningAll()
    .executeTakeFirst();
}

export interface KindDepth {
  kind: string;
  ready: number;
  scheduled: number;
  running: number;
  oldestReadyAgeMs: number | null;
}

/** Unfinished jobs per kind: runnable now, scheduled later, running, and how long the oldest runnable waits. */
export async function queueDepth(db: PlatformDb): Promise<KindDepth[]> {
  const { rows } = await sql<KindDepth>`
    select kind,
      count(*) filter (where status in ('queued', 'failed') and run_at <= now())::int as ready,
      count(*) filter (where status in ('queued', 'failed') and run_at > now())::int as scheduled,
      count(*) filter (where status = 'running')::int as running,
      (extract(epoch from now() - min(run_at) filter (where status in ('queued', 'failed') and run_at <= now()))
        * 1000)::float8 as "oldestReadyAgeMs"
    from platform.jobs
    where status in ('queued', 'failed', 'running')
    group by kind
    order by kind
  `.execute(db);
  return rows;
}

/** Deletes finished jobs (succeeded, dead, cancelled) that finished before `before`. */
export async function pruneFinishedJobs(db: PlatformDb, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('finished_at', '<', before)
    .where('status', 'in', ['succeeded', 'dead', 'cancelled'])
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
