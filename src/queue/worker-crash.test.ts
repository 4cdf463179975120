import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../testing/test-database.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { jobRow, startWorker, untypedQueue, waitForStatus } from '../testing/job-queue.js';

// PGlite is embedded in one process: a second process cannot open the same database.
describe.skipIf(testDatabaseKind === 'pglite')('a worker process killed with SIGKILL', () => {
  let t: TestApp;
  let a: TestTenant;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('acme');
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await t?.close();
  });

  it('loses its lease, and its job completes once on another worker; none is lost', async () => {
    const jobs = await untypedQueue(t).enqueueMany(
      Array.from({ length: 5 }, (_, n) => ({ tenantId: a.tenant.id, kind: 'crash.hold', payload: n })),
    );
    child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./crash-worker.fixture.ts', import.meta.url).pathname],
      {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: t.database.url,
          DATA_DIR: t.database.dataDir,
          SECRETS_KEY: t.config.secrets.currentKey.toString('base64'),
          PLATFORM_ADMIN_TOKEN: t.config.platformAdminToken,
          WORKER_CONCURRENCY: '1',
          JOB_LEASE_MS: '1000',
          JOB_POLL_MS: '200',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    const claimed = await new Promise<{ claimed: string; worker: string }>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { claimed?: string; worker: string };
        if (message.claimed) resolve(message as { claimed: string; worker: string });
      });
    });
    const held = (await jobRow(t, a.tenant.id, claimed.claimed))!;
    expect(held).toMatchObject({ status: 'running', attempts: 1, locked_by: claimed.worker });

    child.kill('SIGKILL');
    await exited;

    const runs = new Map<string, number>();
    const survivor = await startWorker(t, [
      {
        kind: 'crash.hold',
        handler: async ({ job }) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        },
      },
    ]);
    try {
      for (const job of jobs) await waitForStatus(t, a.tenant.id, job.id, 'succeeded');
    } finally {
      await survivor.stop();
    }
    expect([...runs.entries()].sort()).toEqual(jobs.map((job) => [job.id, 1] as const).sort());
    const recovered = (await jobRow(t, a.tenant.id, claimed.claimed))!;
    expect(recovered.attempts).toBe(2);
    expect(recovered.errors).toEqual([
      expect.objectContaining({
        attempt: 1,
        code: 'lease_expired',
        error: expect.stringContaining(claimed.worker),
      }),
    ]);
  });
});
