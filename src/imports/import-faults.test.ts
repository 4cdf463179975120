import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../app/services.js';
import type { JobDefinition } from '../queue/job-types.js';
import type { ObjectStore } from '../storage/object-store.js';
import { jobContext, tenantHandle } from '../testing/job-context.js';
import { startWorker, waitForStatus } from '../testing/job-queue.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { runImportJob } from './imports.jobs.js';

/**
 * `rows` rows of about 180 bytes (a long ignored column), so a file of a few thousand rows is
 * stored in several 1 MB parts; every phone is distinct.
 */
function csvOf(rows: number): string {
  const padding = 'x'.repeat(150);
  const lines = ['Name,Mobile,Comment'];
  for (let i = 0; i < rows; i++) lines.push(`Lead ${i},97${String(i).padStart(8, '0')},${padding}`);
  return lines.join('\n') + '\n';
}

/** The object store with `get` replaced: each stored part of an import goes through `read`. */
function storageWith(
  storage: ObjectStore,
  read: (key: string, part: number, inner: () => Promise<Buffer | null>) => Promise<Buffer | null>,
): ObjectStore {
  return {
    kind: storage.kind,
    put: (key, body, type) => storage.put(key, body, type),
    delete: (key) => storage.delete(key),
    presignGet: (key, seconds) => storage.presignGet(key, seconds),
    get: (key) => {
      const part = /\/part-(\d+)\.csv$/.exec(key);
      return part ? read(key, Number(part[1]), () => storage.get(key)) : storage.get(key);
    },
  };
}

describe('import jobs under faults', () => {
  let t: TestApp;

  const upload = (tenant: TestTenant, body: string) =>
    t.request('/api/crm/leads/import?mode=background&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body,
    });
  const importRow = async (tenant: TestTenant, id: string) =>
    (await t.crm(tenant).get(`/imports/${id}`)).body.data;
  const leadCount = async (tenant: TestTenant) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const row = await db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const importJobId = async (tenant: TestTenant) => {
    const job = await t.app.services.platform
      .selectFrom('jobs')
      .select('id')
      .where('tenant_id', '=', tenant.tenant.id)
      .where('kind', '=', 'imports.run')
      .executeTakeFirstOrThrow();
    return String(job.id);
  };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a stored part that cannot be read fails the job, not the process: dead after its attempts, the import failed with its counts', async () => {
    const tenant = await t.createTenant('faultstore', { defaultCountry: 'IN' });
    const rows = 8000;
    // Every read of the second part fails, on every attempt, after a while (so the rows of the
    // first part are written meanwhile: reads run ahead of the writes).
    const failingImportJob: JobDefinition = {
      ...runImportJob,
      handler: (ctx) => {
        const storage = storageWith(ctx.services.storage, async (_key, part, inner) => {
          if (part === 1) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            throw new Error('storage unavailable: part 1');
          }
          return inner();
        });
        return runImportJob.handler({ ...ctx, services: { ...ctx.services, storage } as AppServices });
      },
    };
    const worker = await startWorker(t, [failingImportJob]);
    try {
      const accepted = await upload(tenant, csvOf(rows));
      expect(accepted.status).toBe(202);
      const id = accepted.body.data.id as string;
      const job = await waitForStatus(t, tenant.tenant.id, await importJobId(tenant), 'dead');
      expect(job.attempts).toBe(runImportJob.maxAttempts);
      expect(job.last_error).toContain('storage unavailable: part 1');

      const done = await importRow(tenant, id);
      expect(done).toMatchObject({ status: 'failed', failure: 'storage unavailable: part 1' });
      // The rows of the first part were committed once, and stay counted.
      expect(done.total).toBeGreaterThan(0);
      expect(done.total).toBeLessThan(rows);
      expect(done.created).toBe(done.total);
      expect(await leadCount(tenant)).toBe(done.created);
      // The process is still up and serving.
      expect((await t.request('/health/live')).status).toBe(200);
    } finally {
      await worker.stop();
    }
  });

  it('a run that lost its lease without noticing has its next batch refused: the file is counted once, no lead twice', async () => {
    const tenant = await t.createTenant('faultfence', { defaultCountry: 'IN' });
    const rows = 8000;
    const accepted = await upload(tenant, csvOf(rows));
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.id as string;
    // No worker: the test runs the job twice itself, as two workers would after a lost lease.
    const payload = { importId: id };

    // The stale run stops once it has read the second part, until the newer run has finished.
    let reachedPart1!: () => void;
    const stalled = new Promise<void>((resolve) => (reachedPart1 = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const stale = await jobContext(t, tenant.tenant.id, 'imports.run', payload, { attempt: 1 });
    const storage = storageWith(stale.services.storage, async (_key, part, inner) => {
      const body = await inner();
      if (part === 1) {
        reachedPart1();
        await resumed;
      }
      return body;
    });
    const staleRun = runImportJob.handler({
      ...stale,
      services: { ...stale.services, storage } as AppServices,
    });
    staleRun.catch(() => undefined);
    await stalled;
    // What the stale run had parsed from the first part is committed (or, late, refused).
    await new Promise((resolve) => setTimeout(resolve, 500));

    const newer = await jobContext(t, tenant.tenant.id, 'imports.run', payload, { attempt: 2 });
    await runImportJob.handler(newer);
    const done = await importRow(tenant, id);
    expect(done).toMatchObject({ status: 'completed', total: rows, created: rows, failed: 0 });

    resume();
    await expect(staleRun).rejects.toThrow(/no longer this run's/);
    expect(await importRow(tenant, id)).toMatchObject({
      status: 'completed',
      total: rows,
      created: rows,
      duplicates: 0,
      failed: 0,
    });
    expect(await leadCount(tenant)).toBe(rows);
  });

  it('a process killed during the last attempt: the lease sweep sends the job dead and its onDead fails the import with its counts', async () => {
    const tenant = await t.createTenant('faultsweep', { defaultCountry: 'IN' });
    const accepted = await upload(tenant, csvOf(50));
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.id as string;
    const jobId = await importJobId(tenant);
    // As a run left it when its process was killed: the import mid-run with some batches
    // counted, the job on its last attempt with a lease nobody renews any more.
    const { db } = await tenantHandle(t, tenant.tenant.id);
    await db
      .updateTable('imports')
      .set({
        status: 'running',
        claimed_by: randomUUID(),
        total: 20,
        created: 18,
        duplicates: 2,
        last_line: 21,
      })
      .where('id', '=', id)
      .execute();
    await t.app.services.platform
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb.ref('max_attempts'),
        locked_by: 'killed-worker',
        locked_until: new Date(Date.now() - 1000),
      }))
      .where('id', '=', Number(jobId))
      .execute();

    const worker = await startWorker(t, [runImportJob]);
    try {
      const job = await waitForStatus(t, tenant.tenant.id, jobId, 'dead');
      expect(job.last_error).toContain('Lease expired');
      await expect.poll(async () => (await importRow(tenant, id)).status, { timeout: 10_000 }).toBe('failed');
      const done = await importRow(tenant, id);
      expect(done).toMatchObject({ total: 20, created: 18, duplicates: 2, lastLine: 21 });
      expect(done.failure).toContain('Lease expired');
      expect(done.completedAt).not.toBeNull();
    } finally {
      await worker.stop();
    }
  });
});
