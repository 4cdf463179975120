import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneJobsTask } from '../queue/queue.cron.js';
import { untypedQueue } from '../testing/job-queue.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { CronScheduler } from './cron-scheduler.js';
import type { CronDefinition } from './cron-types.js';

describe('cron', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', JOB_RETENTION_DAYS: '7' });
  });
  afterAll(() => t?.close());

  it('runs each tick once across two schedulers', async () => {
    const runs: { scheduler: number; tick: string }[] = [];
    const task = (scheduler: number): CronDefinition => ({
      name: 'test.every-second',
      schedule: '* * * * * *',
      run: async (_services, tick) => {
        runs.push({ scheduler, tick: tick.toISOString() });
      },
    });
    const first = new CronScheduler(t.app.services, [task(1)]);
    const second = new CronScheduler(t.app.services, [task(2)]);
    first.start();
    second.start();
    try {
      await expect.poll(() => runs.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    const ticks = runs.map((run) => run.tick);
    expect(new Set(ticks).size).toBe(ticks.length);
    const recorded = await t.app.services.platform
      .selectFrom('cron_ticks')
      .select(['tick', 'claimed_by'])
      .where('task', '=', 'test.every-second')
      .execute();
    expect(recorded.map((row) => row.tick.toISOString()).sort()).toEqual([...ticks].sort());
    expect(new Set(recorded.map((row) => row.claimed_by)).size).toBeLessThanOrEqual(2);
  });

  it('rejects an invalid schedule and duplicate names', () => {
    const run = async () => undefined;
    expect(() => new CronScheduler(t.app.services, [{ name: 'x', schedule: 'every tuesday', run }])).toThrow(
      "Cron task 'x' has an invalid schedule 'every tuesday'",
    );
    expect(
      () =>
        new CronScheduler(t.app.services, [
          { name: 'x', schedule: '* * * * *', run },
          { name: 'x', schedule: '* * * * *', run },
        ]),
    ).toThrow("Two cron tasks are named 'x'");
  });

  it('prunes finished jobs past the retention, and nothing else', async () => {
    const { tenant } = await t.createTenant('acme');
    const queue = untypedQueue(t);
    const [old, recent, waiting, oldDead] = await queue.enqueueMany(
      ['old', 'recent', 'waiting', 'old-dead'].map((name) => ({
        tenantId: tenant.id,
        kind: 'k',
        payload: name,
      })),
    );
    const finish = async (id: string, status: string, daysAgo: number) =>
      sql`update platform.jobs set status = ${status}, finished_at = now() - make_interval(days => ${daysAgo})
          where id = ${Number(id)}`.execute(t.app.services.platform);
    await finish(old!.id, 'succeeded', 8);
    await finish(oldDead!.id, 'dead', 30);
    await finish(recent!.id, 'succeeded', 6);
    await pruneJobsTask.run(t.app.services, new Date());
    const left = await t.app.services.platform
      .selectFrom('jobs')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .orderBy('id')
      .execute();
    expect(left.map((row) => String(row.id))).toEqual([recent!.id, waiting!.id]);
  });
});
