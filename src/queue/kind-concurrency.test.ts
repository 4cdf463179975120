import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { JobWorker } from './job-worker.js';
import type { JobRow } from './jobs.repository.js';
import {
  gate,
  jobRow,
  startWorker,
  untypedQueue,
  waitForStatus,
  type TestJobDefinition,
} from '../testing/job-queue.js';

/**
 * A kind's `tenantConcurrency` (issue 15, "a tenant's second import waits for its first"): at most
 * that many of the kind's jobs run at once for one tenant, across workers; the rest stay queued
 * without an attempt counted, and other kinds and other tenants are not held back.
 */
describe('per-kind, per-tenant concurrency', () => {
  let t: TestApp;
  let workers: JobWorker[] = [];

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
  });
  afterAll(() => t?.close());

  const queue = () => untypedQueue(t);
  const startWorkers = async (n: number, definitions: TestJobDefinition[]) => {
    for (let i = 0; i < n; i++) workers.push(await startWorker(t, definitions));
  };
  /** Claimed by a worker (running, or waiting in its prefetch buffer with the lease held). */
  const claimedBy = (row: JobRow | undefined) => row?.status !== 'queued';

  it("runs a tenant's second capped job only after its first finished; another tenant's and other kinds run meanwhile", async () => {
    const a: TestTenant = await t.createTenant('capone');
    const b: TestTenant = await t.createTenant('captwo');
    const held = new Map<string, ReturnType<typeof gate>>();
    const entered: string[] = [];
    const holdFor = (payload: { name: string }) => {
      if (!held.has(payload.name)) held.set(payload.name, gate());
      return held.get(payload.name)!;
    };
    await startWorkers(3, [
      {
        kind: 'import-like',
        tenantConcurrency: 1,
        handler: async ({ job }) => {
          const payload = job.payload as { name: string };
          entered.push(payload.name);
          await holdFor(payload).promise;
        },
      },
      {
        kind: 'other',
        handler: async ({ job }) => {
          entered.push((job.payload as { name: string }).name);
        },
      },
    ]);

    // Back to back, in one call: every worker is woken with both of A's jobs queued.
    const [a1, a2, b1] = await queue().enqueueMany([
      { tenantId: a.tenant.id, kind: 'import-like', payload: { name: 'a1' } },
      { tenantId: a.tenant.id, kind: 'import-like', payload: { name: 'a2' } },
      { tenantId: b.tenant.id, kind: 'import-like', payload: { name: 'b1' } },
    ]);
    // B's import runs beside A's first.
    await expect.poll(() => [...entered].sort(), { timeout: 30_000 }).toEqual(['a1', 'b1']);
    // A's job of another kind, enqueued behind the waiting a2, is not held back by it.
    const other = await queue().enqueue(a.tenant.id, 'other', { name: 'a-other' });
    await waitForStatus(t, a.tenant.id, other.id, 'succeeded');
    // Every worker has claimed since (the enqueue woke them all): a2 is still queued, untouched.
    const waiting = (await jobRow(t, a.tenant.id, a2!.id))!;
    expect(waiting).toMatchObject({ status: 'queued', attempts: 0, started_at: null, errors: [] });
    expect(entered).not.toContain('a2');

    holdFor({ name: 'b1' }).open();
    await waitForStatus(t, b.tenant.id, b1!.id, 'succeeded');
    expect(claimedBy(await jobRow(t, a.tenant.id, a2!.id))).toBe(false);

    holdFor({ name: 'a1' }).open();
    holdFor({ name: 'a2' }).open();
    const first = await waitForStatus(t, a.tenant.id, a1!.id, 'succeeded');
    const second = await waitForStatus(t, a.tenant.id, a2!.id, 'succeeded');
    expect(second.attempts).toBe(1);
    expect(second.errors).toEqual([]);
    expect(second.started_at!.getTime()).toBeGreaterThanOrEqual(first.finished_at!.getTime());
    const otherTenant = (await jobRow(t, b.tenant.id, b1!.id))!;
    // B's ran in parallel with A's first: started before it finished.
    expect(otherTenant.started_at!.getTime()).toBeLessThanOrEqual(first.finished_at!.getTime());
    expect(entered.indexOf('a2')).toBeGreaterThan(entered.indexOf('a-other'));
  });

  it('holds the cap with several workers claiming at once, and fills the claim with other jobs', async () => {
    const a = await t.createTenant('capmany');
    const b = await t.createTenant('capmanyb');
    let running = 0;
    let maxRunning = 0;
    let otherRuns = 0;
    // Jobs of A: 12 capped ones first, then 12 of another kind; each capped one yields a few times.
    await queue().enqueueMany([
      ...Array.from({ length: 12 }, (_, n) => ({ tenantId: a.tenant.id, kind: 'two-at-a-time', payload: n })),
      ...Array.from({ length: 12 }, (_, n) => ({ tenantId: a.tenant.id, kind: 'free', payload: n })),
      ...Array.from({ length: 4 }, (_, n) => ({ tenantId: b.tenant.id, kind: 'two-at-a-time', payload: n })),
    ]);
    await startWorkers(4, [
      {
        kind: 'two-at-a-time',
        tenantConcurrency: 2,
        handler: async ({ job }) => {
          if (job.tenantId !== a.tenant.id) return;
          running++;
          maxRunning = Math.max(maxRunning, running);
          for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
          running--;
        },
      },
      { kind: 'free', handler: async () => void otherRuns++ },
    ]);
    const rows = async (tenantId: string) =>
      t.app.services.platform.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId).execute();
    await expect
      .poll(async () => (await rows(a.tenant.id)).every((row) => row.status === 'succeeded'), {
        timeout: 30_000,
      })
      .toBe(true);
    await expect
      .poll(async () => (await rows(b.tenant.id)).every((row) => row.status === 'succeeded'))
      .toBe(true);
    expect(otherRuns).toBe(12);
    expect(maxRunning).toBeLessThanOrEqual(2);
    // In the database too: at no job's start were two others of A's capped kind unfinished.
    const capped = (await rows(a.tenant.id)).filter((row) => row.kind === 'two-at-a-time');
    for (const row of capped) {
      const overlapping = capped.filter(
        (other) =>
          other.id !== row.id && other.started_at! <= row.started_at! && other.finished_at! > row.started_at!,
      );
      expect(overlapping.length).toBeLessThanOrEqual(1);
      expect(row.attempts).toBe(1);
    }
  });

  it('does not let an expired lease block the kind forever: the sweep requeues it and it runs again', async () => {
    const a = await t.createTenant('capexpired');
    const { id } = await queue().enqueue(a.tenant.id, 'one-only', {});
    const { id: next } = await queue().enqueue(a.tenant.id, 'one-only', {});
    // A worker that died holding the first: running, its lease long expired.
    await t.app.services.platform
      .updateTable('jobs')
      .set({
        status: 'running',
        attempts: 1,
        locked_by: 'dead-worker',
        started_at: new Date(Date.now() - 120_000),
        locked_until: new Date(Date.now() - 60_000),
      })
      .where('id', '=', Number(id))
      .execute();
    await startWorkers(2, [{ kind: 'one-only', tenantConcurrency: 1, handler: async () => undefined }]);
    const first = await waitForStatus(t, a.tenant.id, id, 'succeeded');
    const second = await waitForStatus(t, a.tenant.id, next, 'succeeded');
    expect(first.attempts).toBe(2);
    expect(first.errors.map((e) => e.code)).toEqual(['lease_expired']);
    expect(second.attempts).toBe(1);
  });
});
