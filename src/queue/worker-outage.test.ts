import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind, withAdminClient } from '../testing/test-database.js';
import { gate, startWorker, untypedQueue, waitForStatus } from '../testing/job-queue.js';

/** Terminates every backend of the test database (pool connections and the LISTEN connection). */
async function terminateBackends(t: TestApp): Promise<number> {
  const name = new URL(t.database.url!).pathname.slice(1);
  return withAdminClient(async (client) => {
    const result = await client.query(
      'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) x',
      [name],
    );
    return result.rows[0].n as number;
  });
}

/** Retries an operation through the connection errors an outage leaves in the pool. */
async function retrying<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

// Terminating server backends has no counterpart in the embedded PGlite.
describe.skipIf(testDatabaseKind === 'pglite')('Postgres backends terminated under a running worker', () => {
  let t: TestApp;
  let a: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('acme');
  });
  afterAll(() => t?.close());

  it('recovers: running and queued jobs finish, and NOTIFY wakes it again afterwards', async () => {
    const release = gate();
    const runs = new Map<string, number>();
    // A long poll period: after the outage only the re-established LISTEN can wake the worker quickly.
    const worker = await startWorker(
      t,
      [
        {
          kind: 'outage.work',
          handler: async ({ job }) => {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            await release.promise;
          },
        },
      ],
      { concurrency: 5, pollMs: 600_000 },
    );
    try {
      const before = await untypedQueue(t).enqueueMany(
        Array.from({ length: 20 }, (_, n) => ({
          tenantId: a.tenant.id,
          kind: 'outage.work',
          payload: n,
          options: { idempotencyKey: `before-${n}` },
        })),
      );
      await expect.poll(() => runs.size).toBe(5);

      expect(await terminateBackends(t)).toBeGreaterThan(0);
      release.open();
      // Terminate again while the worker writes outcomes and claims the rest.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await terminateBackends(t);

      const after = [];
      for (let n = 0; n < 5; n++) {
        after.push(
          await retrying(() =>
            untypedQueue(t).enqueue(a.tenant.id, 'outage.work', n, { idempotencyKey: `after-${n}` }),
          ),
        );
      }
      for (const job of [...before, ...after]) await waitForStatus(t, a.tenant.id, job.id, 'succeeded');
      expect(runs.size).toBe(25);
      expect(t.logs.some((line) => /failed/.test(String(line.msg)))).toBe(true);
    } finally {
      await worker.stop();
    }
  });
});
