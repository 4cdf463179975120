import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../queue/job-types.js';
import type { JobWorker } from '../queue/job-worker.js';
import { gate, startWorker } from '../testing/job-queue.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { runImportJob } from './imports.jobs.js';

/**
 * Issue 15, "a tenant's second import waits for its first": `imports.run` runs one at a time per
 * tenant (its contract's `tenantConcurrency: 1`), across workers; another tenant's import runs
 * meanwhile. Through the HTTP route and the real import job, held at its start by a gate.
 */
describe('background imports of one tenant run one at a time', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  const workers: JobWorker[] = [];
  const entered: string[] = [];
  const release = gate();

  // The real contract (its cap included); each run waits for the test before importing.
  const heldImportJob: JobDefinition = {
    ...runImportJob,
    handler: async (ctx) => {
      entered.push(ctx.job.payload.importId as string);
      await release.promise;
      return runImportJob.handler(ctx);
    },
  };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('oneatatime', { defaultCountry: 'IN' });
    b = await t.createTenant('oneatatimeb', { defaultCountry: 'IN' });
    for (let i = 0; i < 2; i++) workers.push(await startWorker(t, [heldImportJob]));
  });
  afterAll(async () => {
    release.open();
    await Promise.all(workers.map((worker) => worker.stop()));
    await t?.close();
  });

  const upload = async (tenant: TestTenant, phonePrefix: string) => {
    const csv = ['Name,Mobile', ...Array.from({ length: 5 }, (_, i) => `Lead ${i},${phonePrefix}${i}`)].join(
      '\n',
    );
    const accepted = await t.request('/api/crm/leads/import?mode=background', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(accepted.status).toBe(202);
    return accepted.body.data.id as string;
  };
  const statusOf = async (tenant: TestTenant, id: string) =>
    (await t.crm(tenant).get(`/imports/${id}`)).body.data.status as string;
  const jobOf = async (importId: string) =>
    t.app.services.platform
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'imports.run')
      .where(sql<string>`payload->>'importId'`, '=', importId)
      .executeTakeFirstOrThrow();

  it("queues a tenant's second import until its first finished; another tenant's runs beside it", async () => {
    const first = await upload(a, '98100000');
    const second = await upload(a, '98200000');
    await expect.poll(() => entered, { timeout: 30_000 }).toContain(first);
    const other = await upload(b, '98300000');
    await expect.poll(() => entered, { timeout: 30_000 }).toContain(other);

    // Both workers have claimed since the second was queued (B's upload woke them): it still waits.
    expect(entered).not.toContain(second);
    expect(await statusOf(a, second)).toBe('queued');
    expect(await jobOf(second)).toMatchObject({ status: 'queued', attempts: 0, started_at: null });

    release.open();
    for (const [tenant, id] of [
      [a, first],
      [a, second],
      [b, other],
    ] as const) {
      await expect.poll(() => statusOf(tenant, id), { timeout: 30_000 }).toBe('completed');
    }
    const [firstJob, secondJob, otherJob] = await Promise.all([jobOf(first), jobOf(second), jobOf(other)]);
    expect(secondJob.started_at!.getTime()).toBeGreaterThanOrEqual(firstJob.finished_at!.getTime());
    expect(otherJob.started_at!.getTime()).toBeLessThanOrEqual(firstJob.finished_at!.getTime());
    expect(secondJob.attempts).toBe(1);
  });
});
