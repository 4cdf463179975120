import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { PermanentJobError, RetryLaterError, type JobContext } from './job-types.js';
import type { JobWorker } from './job-worker.js';
import { gate, jobRow, startWorker, untypedQueue, waitForStatus } from '../testing/job-queue.js';

describe('job queue and worker', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let worker: JobWorker | undefined;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('acme');
    b = await t.createTenant('globex');
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(() => t?.close());

  const queue = () => untypedQueue(t);

  describe('enqueue', () => {
    it('returns the existing job for a repeated idempotency key, also under concurrency', async () => {
      const first = await queue().enqueue(a.tenant.id, 'mail', { n: 1 }, { idempotencyKey: 'k1' });
      const again = await queue().enqueue(a.tenant.id, 'mail', { n: 2 }, { idempotencyKey: 'k1' });
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, created: false });
      expect((await jobRow(t, a.tenant.id, first.id))!.payload).toEqual({ n: 1 });

      const racing = await Promise.all(
        Array.from({ length: 10 }, () => queue().enqueue(a.tenant.id, 'mail', {}, { idempotencyKey: 'k2' })),
      );
      expect(new Set(racing.map((job) => job.id)).size).toBe(1);
      expect(racing.filter((job) => job.created)).toHaveLength(1);

      // The same key belongs to each tenant separately.
      const other = await queue().enqueue(b.tenant.id, 'mail', {}, { idempotencyKey: 'k1' });
      expect(other.created).toBe(true);
      expect(other.id).not.toBe(first.id);
    });

    it('answers many jobs in order, a key repeated within the call included', async () => {
      const jobs = await queue().enqueueMany([
        { tenantId: a.tenant.id, kind: 'x', payload: 1 },
        { tenantId: a.tenant.id, kind: 'x', payload: 2, options: { idempotencyKey: 'many' } },
        { tenantId: b.tenant.id, kind: 'x', payload: 3 },
        { tenantId: a.tenant.id, kind: 'x', payload: 4, options: { idempotencyKey: 'many' } },
      ]);
      expect(jobs.map((job) => job.created)).toEqual([true, true, true, false]);
      expect(jobs[3]!.id).toBe(jobs[1]!.id);
      expect((await jobRow(t, b.tenant.id, jobs[2]!.id))!.payload).toBe(3);
      expect((await jobRow(t, a.tenant.id, jobs[0]!.id))!.payload).toBe(1);
    });

    it("enqueues inside the caller's transaction: a rollback leaves no job", async () => {
      const db = t.app.services.servers.defaultServer.db;
      let id = '';
      await expect(
        db.transaction().execute(async (trx) => {
          id = (await queue().enqueue(a.tenant.id, 'mail', {}, {}, trx)).id;
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await jobRow(t, a.tenant.id, id)).toBeUndefined();

      const committed = await db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx.withSchema('platform'));
        return queue().enqueue(a.tenant.id, 'mail', {}, {}, trx);
      });
      expect((await jobRow(t, a.tenant.id, committed.id))!.status).toBe('queued');
    });
  });

  it('runs a job with its tenant handle, a logger bound to the job, and stores the result', async () => {
    const seen: { schema: string; logBindings: Record<string, unknown>; attempt: number }[] = [];
    worker = await startWorker(t, [
      {
        kind: 'echo',
        handler: async ({ job, handle, logger }: JobContext<{ text: string }>) => {
          seen.push({ schema: handle.schema, logBindings: logger.bindings(), attempt: job.attempt });
          return { echoed: job.payload.text };
        },
      },
    ]);
    const { id } = await queue().enqueue(b.tenant.id, 'echo', { text: 'hi' });
    const row = await waitForStatus(t, b.tenant.id, id, 'succeeded');
    expect(row.result).toEqual({ echoed: 'hi' });
    expect(row.attempts).toBe(1);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.locked_by).toBeNull();
    expect(seen).toEqual([
      { schema: 't_globex', logBindings: expect.objectContaining({ jobId: id, kind: 'echo' }), attempt: 1 },
    ]);
  });

  it('retries with backoff and ends dead with the whole error history', async () => {
    const attempts: number[] = [];
    worker = await startWorker(t, [
      {
        kind: 'flaky',
        handler: async ({ job }) => {
          attempts.push(job.attempt);
          throw new Error(`boom ${job.attempt}`);
        },
      },
    ]);
    const { id } = await queue().enqueue(a.tenant.id, 'flaky', {}, { maxAttempts: 3 });
    const row = await waitForStatus(t, a.tenant.id, id, 'dead');
    expect(attempts).toEqual([1, 2, 3]);
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe('boom 3');
    expect(row.errors.map((entry) => [entry.attempt, entry.error, entry.code])).toEqual([
      [1, 'boom 1', 'handler_error'],
      [2, 'boom 2', 'handler_error'],
      [3, 'boom 3', 'handler_error'],
    ]);
  });

  it('takes a definition’s maxAttempts as the default and recovers on a later attempt', async () => {
    worker = await startWorker(t, [
      {
        kind: 'second-time-lucky',
        maxAttempts: 2,
        handler: async ({ job }) => {
          if (job.attempt === 1) throw new Error('first try fails');
          return 'ok';
        },
      },
    ]);
    // The queue of this app knows no such kind, so the default comes from a queue that does.
    const { PostgresJobQueue } = await import('./postgres-job-queue.js');
    const knowing = new PostgresJobQueue(t.app.services.servers.defaultServer.db, [
      { kind: 'second-time-lucky', maxAttempts: 2 },
    ]);
    const { id } = await knowing.enqueue(a.tenant.id, 'second-time-lucky', {});
    const row = await waitForStatus(t, a.tenant.id, id, 'succeeded');
    expect(row.max_attempts).toBe(2);
    expect(row.attempts).toBe(2);
    expect(row.errors).toHaveLength(1);
  });

  it('marks a job dead at once on a PermanentJobError', async () => {
    let runs = 0;
    worker = await startWorker(t, [
      {
        kind: 'bad-payload',
        handler: async () => {
          runs++;
          throw new PermanentJobError('payload has no phone', 'invalid_payload');
        },
      },
    ]);
    const { id } = await queue().enqueue(a.tenant.id, 'bad-payload', {});
    const row = await waitForStatus(t, a.tenant.id, id, 'dead');
    expect(runs).toBe(1);
    expect(row.errors).toEqual([expect.objectContaining({ attempt: 1, code: 'invalid_payload' })]);
  });

  it('waits the delay a RetryLaterError asks for', async () => {
    worker = await startWorker(t, [
      {
        kind: 'rate-limited',
        handler: async () => {
          throw new RetryLaterError('provider says Retry-After: 120', 120_000);
        },
      },
    ]);
    const before = Date.now();
    const { id } = await queue().enqueue(a.tenant.id, 'rate-limited', {});
    const row = await waitForStatus(t, a.tenant.id, id, 'failed');
    expect(row.run_at.getTime()).toBeGreaterThanOrEqual(before + 120_000 - 1000);
    expect(row.errors).toEqual([expect.objectContaining({ attempt: 1, code: 'retry_later' })]);
    expect(row.locked_by).toBeNull();
  });

  it('fails an unknown kind permanently with a clear error', async () => {
    worker = await startWorker(t, []);
    const { id } = await queue().enqueue(a.tenant.id, 'no-such-kind', {});
    const row = await waitForStatus(t, a.tenant.id, id, 'dead');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toBe("No handler is registered for job kind 'no-such-kind'");
    expect(row.errors[0]!.code).toBe('unknown_kind');
  });

  it('sends a payload its kind does not parse to the dead letters, never into the handler; a valid one runs', async () => {
    const handled: unknown[] = [];
    worker = await startWorker(t, [
      {
        kind: 'typed',
        payload: z.object({ to: z.string(), lines: z.array(z.object({ n: z.number() })) }),
        handler: async ({ job }) => {
          handled.push(job.payload);
          return 'sent';
        },
      },
    ]);
    const bad = await queue().enqueue(a.tenant.id, 'typed', { to: 7, lines: [{ n: 1 }, { n: 'two' }] });
    const good = await queue().enqueue(a.tenant.id, 'typed', { to: 'x', lines: [{ n: 1 }], extra: true });
    const dead = await waitForStatus(t, a.tenant.id, bad.id, 'dead');
    expect(dead.attempts).toBe(1);
    expect(dead.errors).toEqual([expect.objectContaining({ attempt: 1, code: 'invalid_payload' })]);
    expect(dead.last_error).toMatch(/^Invalid payload for job kind 'typed': to: [^;]+; lines\.1\.n: [^;]+$/);
    expect((await waitForStatus(t, a.tenant.id, good.id, 'succeeded')).result).toBe('sent');
    // The handler gets the payload as the schema reads it (keys it does not declare dropped).
    expect(handled).toEqual([{ to: 'x', lines: [{ n: 1 }] }]);
  });

  it('aborts the signal of a run that exceeds its timeout and counts the attempt as failed', async () => {
    const aborted: unknown[] = [];
    worker = await startWorker(t, [
      {
        kind: 'slow',
        handler: ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              aborted.push(signal.reason);
              reject(signal.reason as Error);
            }),
          ),
      },
    ]);
    const { id } = await queue().enqueue(a.tenant.id, 'slow', {}, { timeoutMs: 50, maxAttempts: 1 });
    const row = await waitForStatus(t, a.tenant.id, id, 'dead');
    expect(aborted).toHaveLength(1);
    expect(row.errors).toEqual([
      expect.objectContaining({ code: 'timeout', error: 'Job timed out after 50 ms' }),
    ]);
  });

  it("runs tenant B's job while tenant A has 10,000 queued", async () => {
    const big = await t.createTenant('bigco');
    const small = await t.createTenant('smallco');
    await queue().enqueueMany(
      Array.from({ length: 10_000 }, (_, n) => ({ tenantId: big.tenant.id, kind: 'fair', payload: n })),
    );
    const { id } = await queue().enqueue(small.tenant.id, 'fair', 'b');
    const order: string[] = [];
    const done = gate();
    worker = await startWorker(
      t,
      [
        {
          kind: 'fair',
          handler: async ({ job }) => {
            order.push(job.tenantId === small.tenant.id ? 'B' : 'A');
            if (order.length >= 20) done.open();
          },
        },
      ],
      { concurrency: 4 },
    );
    await done.promise;
    await worker.stop();
    worker = undefined;
    expect(order.indexOf('B')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('B')).toBeLessThan(4);
    expect((await jobRow(t, small.tenant.id, id))!.status).toBe('succeeded');
    await t.app.services.platform.deleteFrom('jobs').where('tenant_id', '=', big.tenant.id).execute();
  });

  it('caps running jobs per tenant when asked', async () => {
    const capped = await t.createTenant('capped');
    const release = gate();
    let runningCapped = 0;
    let maxRunningCapped = 0;
    let otherRuns = 0;
    worker = await startWorker(
      t,
      [
        {
          kind: 'hold',
          handler: async ({ job }) => {
            if (job.tenantId !== capped.tenant.id) {
              otherRuns++;
              return;
            }
            runningCapped++;
            maxRunningCapped = Math.max(maxRunningCapped, runningCapped);
            await release.promise;
            runningCapped--;
          },
        },
      ],
      { concurrency: 5, tenantConcurrency: 2 },
    );
    const held = await queue().enqueueMany(
      Array.from({ length: 6 }, () => ({ tenantId: capped.tenant.id, kind: 'hold', payload: {} })),
    );
    await queue().enqueueMany(
      Array.from({ length: 3 }, () => ({ tenantId: b.tenant.id, kind: 'hold', payload: {} })),
    );
    await expect.poll(() => otherRuns).toBe(3);
    await expect.poll(() => runningCapped).toBe(2);
    release.open();
    for (const job of held) await waitForStatus(t, capped.tenant.id, job.id, 'succeeded');
    expect(maxRunningCapped).toBe(2);
  });

  it('keeps a long job leased by heartbeat so no other worker takes it', async () => {
    let runs = 0;
    const finish = gate();
    const definition = {
      kind: 'long',
      leaseMs: 200,
      handler: async () => {
        runs++;
        await finish.promise;
      },
    };
    worker = await startWorker(t, [definition]);
    const other = await startWorker(t, [definition]);
    try {
      const { id } = await queue().enqueue(a.tenant.id, 'long', {});
      await expect.poll(() => runs).toBe(1);
      const firstLease = (await jobRow(t, a.tenant.id, id))!.locked_until!;
      // Wait until the first lease would have expired long ago (several polls of the other worker).
      const dbNow = async () =>
        (await sql<{ now: Date }>`select now()`.execute(t.app.services.platform)).rows[0]!.now;
      await expect
        .poll(dbNow, { timeout: 10_000 })
        .toSatisfy((now: Date) => now > new Date(firstLease.getTime() + 500));
      expect(runs).toBe(1);
      const held = (await jobRow(t, a.tenant.id, id))!;
      expect(held.status).toBe('running');
      expect(held.locked_until!.getTime()).toBeGreaterThan(firstLease.getTime());
      finish.open();
      const row = await waitForStatus(t, a.tenant.id, id, 'succeeded');
      expect(row.attempts).toBe(1);
      expect(row.errors).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('claims ahead of its free slots, keeps those leases renewed, and releases them unrun at stop', async () => {
    const release = gate();
    const started: string[] = [];
    worker = await startWorker(
      t,
      [
        {
          kind: 'ahead',
          leaseMs: 200,
          handler: async ({ job }) => {
            started.push(job.id);
            await release.promise;
          },
        },
      ],
      { concurrency: 1, prefetch: 2 },
    );
    const jobs = await queue().enqueueMany(
      Array.from({ length: 4 }, (_, n) => ({ tenantId: a.tenant.id, kind: 'ahead', payload: n })),
    );
    const held = async () =>
      (await Promise.all(jobs.map((job) => jobRow(t, a.tenant.id, job.id)))).filter(
        (row) => row!.status === 'running',
      );
    await expect.poll(async () => (await held()).length).toBe(3);
    expect(started).toEqual([jobs[0]!.id]);
    const firstLeases = (await held()).map((row) => row!.locked_until!.getTime());
    // Long after those leases would have expired (the worker sweeps expired leases every 100 ms).
    const dbNow = async () =>
      (await sql<{ now: Date }>`select now()`.execute(t.app.services.platform)).rows[0]!.now;
    await expect
      .poll(dbNow, { timeout: 10_000 })
      .toSatisfy((now: Date) => now.getTime() > Math.max(...firstLeases) + 500);
    const stillHeld = await held();
    expect(stillHeld.map((row) => row!.attempts)).toEqual([1, 1, 1]);
    expect(stillHeld.every((row) => row!.locked_by === worker!.id)).toBe(true);

    const stopping = worker.stop();
    release.open();
    await stopping;
    worker = undefined;
    const rows = await Promise.all(jobs.map((job) => jobRow(t, a.tenant.id, job.id)));
    expect(started).toEqual([jobs[0]!.id]);
    expect(rows.map((row) => [row!.status, row!.attempts])).toEqual([
      ['succeeded', 1],
      ['queued', 0],
      ['queued', 0],
      ['queued', 0],
    ]);
    await t.app.services.platform.deleteFrom('jobs').where('kind', '=', 'ahead').execute();
  });

  it('shuts down gracefully: lets quick jobs finish and releases the rest unharmed', async () => {
    const quick = gate();
    const signals: AbortSignal[] = [];
    worker = await startWorker(
      t,
      [
        { kind: 'quick', handler: () => quick.promise },
        {
          kind: 'stuck',
          handler: ({ signal }) => {
            signals.push(signal);
            return new Promise(() => undefined);
          },
        },
      ],
      { shutdownGraceMs: 300 },
    );
    const q = await queue().enqueue(a.tenant.id, 'quick', {});
    const s = await queue().enqueue(a.tenant.id, 'stuck', {});
    await waitForStatus(t, a.tenant.id, q.id, 'running');
    await waitForStatus(t, a.tenant.id, s.id, 'running');
    const stopping = worker.stop();
    quick.open();
    await stopping;
    worker = undefined;
    expect((await jobRow(t, a.tenant.id, q.id))!.status).toBe('succeeded');
    const released = (await jobRow(t, a.tenant.id, s.id))!;
    expect(released).toMatchObject({ status: 'queued', attempts: 0, locked_by: null, locked_until: null });
    expect(signals[0]!.aborted).toBe(true);
  });
});
