import { expect } from 'vitest';
import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { TestApp } from './test-app.js';
import type { JobDefinition } from '../queue/job-types.js';
import { JobWorker, type WorkerOptions } from '../queue/job-worker.js';
import { PostgresJobQueue } from '../queue/postgres-job-queue.js';
import { findJob, type JobRow } from '../queue/jobs.repository.js';
import type { JobStatus } from '../queue/queue.tables.js';

/** Test-only helpers: a worker with the given handlers, and waiting for a job's state. */
export const fastWorkerOptions: WorkerOptions = {
  concurrency: 5,
  prefetch: 5,
  pollMs: 100,
  leaseMs: 30_000,
  timeoutMs: 60_000,
  tenantConcurrency: null,
  shutdownGraceMs: 2000,
  retryPolicy: { baseMs: 5, capMs: 20 },
};

/** A definition for a worker under test: kinds of the queue's own tests may take any payload. */
export type TestJobDefinition = Omit<JobDefinition<any, AppServices>, 'payload'> &
  Partial<Pick<JobDefinition, 'payload'>>;

export async function startWorker(
  t: TestApp,
  definitions: TestJobDefinition[],
  options: Partial<WorkerOptions> = {},
): Promise<JobWorker> {
  const withPayloads = definitions.map((definition) => ({ payload: z.unknown(), ...definition }));
  const worker = new JobWorker(t.app.services, withPayloads, { ...fastWorkerOptions, ...options });
  await worker.start();
  return worker;
}

/**
 * The services' queue without the kind typing, for tests of the queue itself, whose kinds no
 * component declares (same database; no component's defaults).
 */
export function untypedQueue(t: TestApp): PostgresJobQueue {
  return new PostgresJobQueue(t.app.services.servers.defaultServer.db);
}

export function jobRow(t: TestApp, tenantId: string, id: string): Promise<JobRow | undefined> {
  return findJob(t.app.services.platform, tenantId, Number(id));
}

/** A tenant's jobs in the order they were enqueued. */
export function tenantJobs(t: TestApp, tenantId: string): Promise<JobRow[]> {
  return t.app.services.platform
    .selectFrom('jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
}

export async function waitForStatus(
  t: TestApp,
  tenantId: string,
  id: string,
  status: JobStatus,
): Promise<JobRow> {
  await expect.poll(async () => (await jobRow(t, tenantId, id))?.status, { timeout: 30_000 }).toBe(status);
  return (await jobRow(t, tenantId, id))!;
}

/**
 * Waits until the tenant has no job waiting, retrying or running (the jobs those jobs
 * enqueue included), and answers every job of the tenant, oldest first. A timer set for after
 * the wait (never attempted, due later than `timeoutMs` from now: a signal's SLA breach) is not
 * waited for.
 */
export async function waitForIdle(t: TestApp, tenantId: string, timeoutMs = 30_000): Promise<JobRow[]> {
  const { platform } = t.app.services;
  // A plain loop rather than expect.poll, so hooks (beforeAll) can wait too.
  for (const deadline = Date.now() + timeoutMs; ;) {
    const busy = await platform
      .selectFrom('jobs')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', ['queued', 'failed', 'running'])
      .where((eb) =>
        eb.or([eb('status', '!=', 'queued'), eb('attempts', '>', 0), eb('run_at', '<=', new Date(deadline))]),
      )
      .executeTakeFirst();
    if (!busy) break;
    if (Date.now() > deadline)
      throw new Error(`Jobs of tenant ${tenantId} still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return platform.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

/** A promise with its resolve function, to hold handlers until the test lets them go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
