import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueRequest } from '../queue/job-types.js';
import { tenantJobs } from '../testing/job-queue.js';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';
import type { TenantHandle } from './connection-manager.js';
import { inTenantTransaction, type EventPublisher } from './unit-of-work.js';

interface Noted {
  key: string;
}

/** Records what was published, and starts reading the event's row the moment it is published. */
class PublishedEvents implements EventPublisher<Noted> {
  readonly batches: Noted[][] = [];
  readonly reads: Promise<unknown>[] = [];

  constructor(private readonly handle: () => TenantHandle) {}

  publish(events: Noted[]): void {
    this.batches.push(events);
    for (const { key } of events) this.reads.push(settingOf(this.handle(), key));
  }
}

const settingOf = (handle: TenantHandle, key: string) =>
  handle.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

/** The same cases for a tenant on the services' server and for one on a dedicated server. */
function unitOfWorkCases(open: () => Promise<{ t: TestApp; handle: TenantHandle }>) {
  let t: TestApp;
  let handle: TenantHandle;
  let counter = 0;
  const key = (name: string) => `${name}-${++counter}`;
  // A kind no component declares: the queue stores it like any other (a worker would mark it dead).
  const job = (idempotencyKey: string) =>
    ({
      tenantId: handle.tenant.id,
      kind: 'test.unit_of_work',
      payload: { idempotencyKey },
      options: { idempotencyKey },
    }) as unknown as EnqueueRequest;
  const jobKeys = async () => (await tenantJobs(t, handle.tenant.id)).map((row) => row.idempotency_key);
  const deps = (events: PublishedEvents) => ({ ...t.app.services, leadEvents: events });

  beforeAll(async () => {
    ({ t, handle } = await open());
  });

  it('commits the data and its jobs together: the jobs are not visible before the commit', async () => {
    const row = key('kept');
    const events = new PublishedEvents(() => handle);
    let visibleInside: unknown[] = ['not checked'];
    const jobs = await inTenantTransaction(deps(events), handle, async ({ trx, enqueue }) => {
      await trx.insertInto('settings').values({ key: row, value: '1' }).execute();
      const enqueued = await enqueue(job(row));
      // Another connection of the services' server does not see the job yet (PGlite has one).
      if (testDatabaseKind === 'postgres')
        visibleInside = await t.app.services.platform
          .selectFrom('jobs')
          .select('id')
          .where('idempotency_key', '=', row)
          .execute();
      return enqueued;
    });
    if (testDatabaseKind === 'postgres') expect(visibleInside).toEqual([]);
    expect(jobs).toEqual([{ id: expect.any(String), created: true }]);
    expect(await settingOf(handle, row)).toBeDefined();
    expect(await jobKeys()).toContain(row);
  });

  it('rolls the jobs back with the data, and publishes nothing', async () => {
    const row = key('rolled-back');
    const events = new PublishedEvents(() => handle);
    const failing = inTenantTransaction(deps(events), handle, async ({ trx, enqueue, publish }) => {
      await trx.insertInto('settings').values({ key: row, value: '1' }).execute();
      await enqueue(job(row));
      publish({ key: row });
      throw new Error('the use case refuses');
    });
    await expect(failing).rejects.toThrow('the use case refuses');
    expect(await settingOf(handle, row)).toBeUndefined();
    expect(await jobKeys()).not.toContain(row);
    expect(events.batches).toEqual([]);
  });

  it('runs again after a deadlock: only the last attempt leaves data and jobs, its events published once after the commit', async () => {
    const first = key('attempt-1');
    const second = key('attempt-2');
    const events = new PublishedEvents(() => handle);
    let attempts = 0;
    const answer = await inTenantTransaction(deps(events), handle, async ({ trx, enqueue, publish }) => {
      const mine = ++attempts === 1 ? first : second;
      await trx.insertInto('settings').values({ key: mine, value: '1' }).execute();
      await enqueue(job(mine));
      publish({ key: mine });
      if (attempts === 1) throw deadlock();
      return 'done';
    });
    expect(answer).toBe('done');
    expect(attempts).toBe(2);
    expect(events.batches).toEqual([[{ key: second }]]);
    // The read started as the event was published already saw the committed row.
    expect(await Promise.all(events.reads)).toEqual([{ value: 1 }]);
    expect(await settingOf(handle, first)).toBeUndefined();
    const keys = await jobKeys();
    expect(keys).toContain(second);
    expect(keys).not.toContain(first);
  });

  it('gives up after its attempts, leaving nothing', async () => {
    const row = key('always-deadlocked');
    const events = new PublishedEvents(() => handle);
    let attempts = 0;
    const failing = inTenantTransaction(
      deps(events),
      handle,
      async ({ enqueue, publish }) => {
        attempts++;
        await enqueue(job(row));
        publish({ key: row });
        throw deadlock();
      },
      { attempts: 2 },
    );
    await expect(failing).rejects.toMatchObject({ code: '40P01' });
    expect(attempts).toBe(2);
    expect(await jobKeys()).not.toContain(row);
    expect(events.batches).toEqual([]);
  });
}

describe('tenant unit of work: a tenant on the services server', () => {
  let t: TestApp;
  afterAll(() => t?.close());
  unitOfWorkCases(async () => {
    // No worker: the jobs stay queued for the assertions.
    t = await startTestApp({ ROLE: 'web' });
    const { tenant } = await t.createTenant('uowshared');
    const handle = await tenantHandle(t, tenant.id);
    expect(handle.server).toBe(t.app.services.servers.defaultServer);
    return { t, handle };
  });
});

describe.skipIf(testDatabaseKind === 'pglite')(
  'tenant unit of work: a tenant on a dedicated server (Postgres only)',
  () => {
    let t: TestApp;
    let dedicated: TestDatabase;
    afterAll(async () => {
      await t?.close();
      await dedicated?.drop();
    });
    unitOfWorkCases(async () => {
      t = await startTestApp({ ROLE: 'web' });
      dedicated = await createTestDatabase('postgres');
      const { tenant } = await t.createTenant('uowdedicated', { databaseUrl: dedicated.url });
      const handle = await tenantHandle(t, tenant.id);
      expect(handle.server).not.toBe(t.app.services.servers.defaultServer);
      return { t, handle };
    });
  },
);
