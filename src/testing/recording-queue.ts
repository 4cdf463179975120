import { sql, type Kysely } from 'kysely';
import type { EnqueuedJob, EnqueueOptions, JobQueue } from '../queue/job-types.js';
import type { TestApp } from './test-app.js';

export interface RecordedJob {
  id: string;
  tenantId: string;
  kind: string;
  payload: any;
  runAt: Date;
  idempotencyKey: string | null;
}

/**
 * Test-only stand-in for the job queue until the queue branch is merged: it keeps the
 * queue's contract where the engine relies on it (a row written through the caller's
 * transaction, so it exists exactly when that transaction commits; a repeated idempotency
 * key per tenant returns the first job) in `platform.test_recorded_jobs`. Nothing runs the
 * jobs. Integrator: once the real queue is wired, delete this file and read `platform.jobs`.
 */
export async function installRecordingQueue(
  t: TestApp,
): Promise<{ jobs(tenantId: string): Promise<RecordedJob[]> }> {
  const platform = t.app.services.servers.defaultServer.db;
  await sql`create table if not exists platform.test_recorded_jobs (
    id bigint generated always as identity primary key,
    tenant_id uuid not null,
    kind text not null,
    payload jsonb not null,
    run_at timestamptz not null,
    idempotency_key text,
    unique (tenant_id, idempotency_key)
  )`.execute(platform);
  const enqueue: JobQueue['enqueue'] = async (
    tenantId,
    kind,
    payload,
    options: EnqueueOptions = {},
    db?: Kysely<any>,
  ): Promise<EnqueuedJob> => {
    const runAt = options.runAt ?? new Date();
    const key = options.idempotencyKey ?? null;
    const { rows } = await sql<{ id: number; created: boolean }>`
        insert into platform.test_recorded_jobs (tenant_id, kind, payload, run_at, idempotency_key)
        values (${tenantId}, ${kind}, ${JSON.stringify(payload)}::jsonb, ${runAt}, ${key})
        on conflict (tenant_id, idempotency_key) do update set idempotency_key = excluded.idempotency_key
        returning id, xmax = 0 as created`.execute(db ?? platform);
    return { id: String(rows[0]!.id), created: rows[0]!.created };
  };
  // Only `enqueue` is replaced; anything else the real queue offers stays reachable.
  t.app.services.queue = Object.assign(Object.create(t.app.services.queue) as JobQueue, { enqueue });
  return {
    async jobs(tenantId) {
      const { rows } = await sql<{
        id: number;
        tenant_id: string;
        kind: string;
        payload: unknown;
        run_at: Date;
        idempotency_key: string | null;
      }>`select * from platform.test_recorded_jobs where tenant_id = ${tenantId} order by id`.execute(
        platform,
      );
      return rows.map((row) => ({
        id: String(row.id),
        tenantId: row.tenant_id,
        kind: row.kind,
        payload: row.payload,
        runAt: new Date(row.run_at),
        idempotencyKey: row.idempotency_key,
      }));
    },
  };
}
