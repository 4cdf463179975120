import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import { tenantHandle } from '../testing/job-context.js';
import { queryPlan } from '../testing/query-plan.js';
import { addTestTeam, addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import {
  announcePresence,
  availableAgentsQuery,
  countAvailableAgents,
  endWrapUp,
  listAvailableAgents,
  presenceOf,
  startWrapUp,
  type PresenceFacts,
} from './index.js';
import { presenceLeaseMs } from './presence.js';

const at = new Date('2030-03-06T10:00:00Z'); // a Wednesday
const minutes = (n: number) => new Date(at.getTime() + n * 60_000);

describe('presenceOf', () => {
  const base: PresenceFacts = {
    setting: 'available',
    online: true,
    lastSeenAt: minutes(-0.5),
    onCall: false,
    wrapUpUntil: null,
    agentActive: true,
    agentAvailable: true,
  };
  const cases: [string, Partial<PresenceFacts>, string][] = [
    ['connected, available, active', {}, 'available'],
    [
      'on a call, whatever else',
      { onCall: true, online: false, setting: 'away', wrapUpUntil: minutes(5) },
      'on_call',
    ],
    ['in wrap-up', { wrapUpUntil: minutes(1) }, 'wrap_up'],
    ['in wrap-up though offline', { wrapUpUntil: minutes(1), online: false }, 'wrap_up'],
    ['wrap-up over', { wrapUpUntil: at }, 'available'],
    ['no socket', { online: false }, 'offline'],
    ['never seen', { lastSeenAt: null }, 'offline'],
    [
      'stored online, lease run out (its process died)',
      { lastSeenAt: new Date(at.getTime() - presenceLeaseMs) },
      'offline',
    ],
    ['away', { setting: 'away' }, 'online'],
    ['agent unavailable', { agentAvailable: false }, 'online'],
    ['agent inactive', { agentActive: false }, 'online'],
    ['away and offline', { setting: 'away', online: false }, 'offline'],
  ];
  it.each(cases)('%s', (_name, change, expected) => {
    expect(presenceOf({ ...base, ...change }, at)).toBe(expected);
  });
});

type Received = { event: string; payload: any }[];

async function connect(t: TestApp, auth: Record<string, string>) {
  const socket = connectClient(t.baseUrl, {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  const received: Received = [];
  socket.onAny((event: string, payload: any) => received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, received };
}

const presenceEvents = (received: Received, agentId: string) =>
  received
    .filter(({ event, payload }) => event === 'agent.presence' && payload.agentId === agentId)
    .map(({ payload }) => payload);

describe('agent presence', () => {
  let t: TestApp;
  const sockets: Socket[] = [];
  const open = async (auth: Record<string, string>) => {
    const client = await connect(t, auth);
    sockets.push(client.socket);
    return client;
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
  });

  const agentOf = async (tenant: TestTenant, body: Record<string, unknown> = {}) =>
    dataOf(await t.crm(tenant).post('/agents', { name: `Agent ${randomUUID().slice(0, 6)}`, ...body }), 201)
      .id as string;
  const dbOf = async (tenant: TestTenant): Promise<TenantDb> => (await tenantHandle(t, tenant.tenant.id)).db;
  const call = (db: TenantDb, agentId: string, status: string, endedAt: Date | null) =>
    db
      .insertInto('calls')
      .values({
        agent_id: agentId,
        direction: 'outbound',
        mode: 'dialer',
        from_number: '+14155550000',
        to_number: '+14155550001',
        status: status as never,
        queued_at: minutes(-120),
        ended_at: endedAt,
      })
      .execute();

  describe('availableAgents', () => {
    it('excludes each reason an agent cannot take a dialer call at `at`, and orders by last call', async () => {
      const tenant = await t.createTenant(undefined, { timezone: 'Asia/Kolkata' });
      const db = await dbOf(tenant);
      const phone = () => `+1415555${Math.floor(1000 + Math.random() * 8999)}`;
      const able = (name: string, extra: Record<string, unknown> = {}) =>
        agentOf(tenant, { name, phone: phone(), ...extra });
      // 10:00Z is 15:30 in Kolkata, a Wednesday (ISO 3).
      const fresh = await able('Fresh');
      const endedEarly = await able('Ended early');
      const endedLate = await able('Ended late');
      const hours = await able('Within hours', {
        workingHours: { start: '15:00', end: '16:00', weekdays: [3] },
      });
      const overnight = await able('Overnight', {
        workingHours: { start: '15:00', end: '02:00', weekdays: [1, 2, 3, 4, 5, 6, 7] },
      });
      const wrapUp = async (agentId: string, until: Date) => {
        const handle = await tenantHandle(t, tenant.tenant.id);
        await inTenantTransaction(t.app.services, handle, (unit) =>
          startWrapUp(unit, tenant.tenant.id, agentId, until),
        );
      };
      const noWrapRow = await able('Wrap-up over');
      await wrapUp(noWrapRow, at);
      const endedWrap = await able('Wrap-up ended early');
      await wrapUp(endedWrap, minutes(10));
      await endWrapUp(db, endedWrap);
      const backFromAway = await able('Back from away');
      await db
        .insertInto('agent_presence')
        .values({ agent_id: backFromAway, setting: 'available' })
        .execute();

      const excluded = {
        inactive: await able('Inactive', { active: false }),
        unavailable: await able('Unavailable', { available: false }),
        noPhone: await agentOf(tenant, { name: 'No phone' }),
        beforeHours: await able('Before hours', {
          workingHours: { start: '16:00', end: '18:00', weekdays: [3] },
        }),
        otherDay: await able('Other day', {
          workingHours: { start: '09:00', end: '18:00', weekdays: [1, 2] },
        }),
        away: await able('Away'),
        onCall: await able('On a call'),
        ringing: await able('Ringing'),
        wrapUp: await able('Wrapping up'),
      };
      await db.insertInto('agent_presence').values({ agent_id: excluded.away, setting: 'away' }).execute();
      await call(db, excluded.onCall, 'in-progress', null);
      await call(db, excluded.ringing, 'ringing', null);
      await wrapUp(excluded.wrapUp, minutes(1));
      await call(db, endedEarly, 'completed', minutes(-60));
      await call(db, endedLate, 'completed', minutes(-5));
      await call(db, endedLate, 'no-answer', minutes(-90));
      await call(db, excluded.wrapUp, 'completed', minutes(-1));

      const clock = { tenantTimezone: 'Asia/Kolkata', at };
      const available = await listAvailableAgents(db, clock);
      const ids = available.map((agent) => agent.id);
      for (const [reason, id] of Object.entries(excluded)) expect(ids, reason).not.toContain(id);
      const neverCalled = [fresh, hours, overnight, noWrapRow, endedWrap, backFromAway].sort();
      expect(ids).toEqual([...neverCalled, endedEarly, endedLate]);
      expect(available.at(-1)).toMatchObject({ id: endedLate, lastCallEndedAt: minutes(-5) });
      expect(await countAvailableAgents(db, clock)).toBe(8);
      // The query is the dialer's to extend: the first one, locked for its claim.
      const claimed = await db
        .transaction()
        .execute((trx) => availableAgentsQuery(trx, clock).limit(1).forUpdate().skipLocked().execute());
      expect(claimed.map((row) => row.id)).toEqual([neverCalled[0]]);

      // Another instant: 20:30 in Kolkata, past the working hours of two; the wrap-up over.
      const later = { tenantTimezone: 'Asia/Kolkata', at: minutes(300) };
      const laterIds = (await listAvailableAgents(db, later)).map((agent) => agent.id);
      expect(laterIds).not.toContain(hours);
      expect(laterIds).toContain(overnight);
      expect(laterIds).toContain(excluded.wrapUp);
      expect(laterIds).not.toContain(excluded.beforeHours);
      // The timezone decides: 10:00Z is 05:00 in New York.
      expect(await listAvailableAgents(db, { tenantTimezone: 'America/New_York', at })).not.toContainEqual(
        expect.objectContaining({ id: hours }),
      );
    });
  });

  it("reads each agent's last call with one probe of calls_agent_ended_idx, before `calls` has statistics", async () => {
    const tenant = await t.createTenant();
    const db = await dbOf(tenant);
    const plan = await queryPlan(db, availableAgentsQuery(db, { tenantTimezone: 'UTC', at }));
    expect(plan).toContain('"Index Name":"calls_agent_ended_idx"');
  });

  describe('sockets', () => {
    it("a linked user's socket connecting and disconnecting flips online and emits agent.presence", async () => {
      const tenant = await t.createTenant();
      const db = await dbOf(tenant);
      const agentId = await agentOf(tenant);
      const user = await addTestUser(t, tenant, { role: 'agent', agentId });
      const admin = await addTestUser(t, tenant, { role: 'admin' });
      const watcher = await open({ token: admin.accessToken });
      const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
      const row = () =>
        db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirst();

      const first = await open({ token: user.accessToken });
      await expect.poll(() => presenceEvents(watcher.received, agentId).length, { timeout: 10_000 }).toBe(1);
      expect(presenceEvents(watcher.received, agentId)[0]).toMatchObject({
        agentId,
        presence: 'available',
        setting: 'available',
        online: true,
        onCall: false,
        wrapUpUntil: null,
      });
      expect(await row()).toMatchObject({ online: true, last_seen_at: expect.any(Date) });
      // The agent's own socket hears it too (its `sees:` room).
      await expect.poll(() => presenceEvents(first.received, agentId).length, { timeout: 10_000 }).toBe(1);
      expect(dataOf(await t.crm(tenant).get(`/presence/${agentId}`))).toMatchObject({
        presence: 'available',
      });

      // A second socket, then the first gone: still online, nothing emitted (each recount stamps `last_seen_at`).
      const seenAfterFirst = (await row())!.last_seen_at!.getTime();
      const second = await open({ token: user.accessToken });
      await expect
        .poll(async () => (await row())!.last_seen_at!.getTime(), { timeout: 10_000 })
        .toBeGreaterThan(seenAfterFirst);
      const seenAfterSecond = (await row())!.last_seen_at!.getTime();
      first.socket.close();
      await expect
        .poll(async () => (await row())!.last_seen_at!.getTime(), { timeout: 10_000 })
        .toBeGreaterThan(seenAfterSecond);
      expect(await row()).toMatchObject({ online: true });
      expect(presenceEvents(watcher.received, agentId)).toHaveLength(1);
      // Last socket gone: offline.
      second.socket.close();
      await expect.poll(() => presenceEvents(watcher.received, agentId).length, { timeout: 10_000 }).toBe(2);
      expect(presenceEvents(watcher.received, agentId)[1]).toMatchObject({
        presence: 'offline',
        online: false,
      });
      expect(presenceEvents(key.received, agentId).map((p) => p.presence)).toEqual(['available', 'offline']);
      expect(await row()).toMatchObject({ online: false });
      expect(dataOf(await t.crm(tenant).get(`/presence/${agentId}`))).toMatchObject({ presence: 'offline' });
    });

    it('reads a stored online whose lease ran out (its process died) as offline', async () => {
      const tenant = await t.createTenant();
      const db = await dbOf(tenant);
      const agentId = await agentOf(tenant);
      await db
        .insertInto('agent_presence')
        .values({
          agent_id: agentId,
          online: true,
          last_seen_at: new Date(Date.now() - presenceLeaseMs - 1000),
        })
        .execute();
      expect(dataOf(await t.crm(tenant).get(`/presence/${agentId}`))).toMatchObject({
        presence: 'offline',
        online: false,
      });
      await db.updateTable('agent_presence').set({ last_seen_at: new Date() }).execute();
      expect(dataOf(await t.crm(tenant).get(`/presence/${agentId}`))).toMatchObject({
        presence: 'available',
        online: true,
      });
    });

    it('announcePresence emits after the commit of a call change: on_call, then wrap_up', async () => {
      const tenant = await t.createTenant();
      const db = await dbOf(tenant);
      const handle = await tenantHandle(t, tenant.tenant.id);
      const agentId = await agentOf(tenant, { phone: '+14155550123' });
      const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
      const now = new Date();
      const services = t.app.services;
      await inTenantTransaction(services, handle, async (unit) => {
        await call(unit.trx, agentId, 'ringing', null);
        const presence = await announcePresence(unit, services, tenant.tenant.id, agentId, now);
        expect(presence).toMatchObject({ presence: 'on_call', onCall: true });
        expect(presenceEvents(key.received, agentId)).toEqual([]);
      });
      await expect
        .poll(() => presenceEvents(key.received, agentId).map((p) => p.presence))
        .toEqual(['on_call']);
      const until = new Date(now.getTime() + 60_000);
      await inTenantTransaction(services, handle, async (unit) => {
        await unit.trx.updateTable('calls').set({ status: 'completed', ended_at: now }).execute();
        await startWrapUp(unit, tenant.tenant.id, agentId, until);
        await announcePresence(unit, services, tenant.tenant.id, agentId, now);
      });
      await expect
        .poll(() => presenceEvents(key.received, agentId).map((p) => p.presence))
        .toEqual(['on_call', 'wrap_up']);
      expect(presenceEvents(key.received, agentId)[1].wrapUpUntil).toBe(until.toISOString());
      expect(await countAvailableAgents(db, { tenantTimezone: 'UTC', at: now })).toBe(0);
      expect(await countAvailableAgents(db, { tenantTimezone: 'UTC', at: until })).toBe(1);
    });

    it('announces the end of a wrap-up when it runs out, and not for one another call extended', async () => {
      const tenant = await t.createTenant();
      const handle = await tenantHandle(t, tenant.tenant.id);
      const agentId = await agentOf(tenant, { phone: '+14155550124' });
      const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
      const services = t.app.services;
      const wrapUp = (until: Date) =>
        inTenantTransaction(services, handle, async (unit) => {
          await startWrapUp(unit, tenant.tenant.id, agentId, until);
          await announcePresence(unit, services, tenant.tenant.id, agentId, new Date());
        });
      const jobsOfAgent = () =>
        services.platform
          .selectFrom('jobs')
          .select(['status', 'run_at'])
          .where('kind', '=', 'presence.wrap_up_ended')
          .where(sql<boolean>`payload->>'agentId' = ${agentId}`)
          .orderBy('run_at')
          .execute();
      const first = new Date(Date.now() + 1_000);
      await wrapUp(first);
      await wrapUp(new Date(first.getTime() + 1_000));
      await expect
        .poll(() => presenceEvents(key.received, agentId).map((p) => p.presence), { timeout: 20_000 })
        .toEqual(['wrap_up', 'wrap_up', 'offline']);
      // Both jobs ran; the first found the wrap-up extended and emitted nothing.
      await expect
        .poll(async () => (await jobsOfAgent()).map((job) => job.status), { timeout: 20_000 })
        .toEqual(['succeeded', 'succeeded']);
      expect(presenceEvents(key.received, agentId)).toHaveLength(3);
    });
  });

  describe('routes', () => {
    it('lists the visible agents; PUT: own for an agent, the team for a manager, any for an admin or key', async () => {
      const tenant = await t.createTenant();
      const [a, b, c] = [await agentOf(tenant), await agentOf(tenant), await agentOf(tenant)];
      const team = await addTestTeam(t, tenant, 'Callers');
      const userA = await addTestUser(t, tenant, { role: 'agent', agentId: a, teamIds: [team] });
      await addTestUser(t, tenant, { role: 'agent', agentId: b, teamIds: [team] });
      const manager = await addTestUser(t, tenant, { role: 'manager', teamIds: [team] });
      const viewer = await addTestUser(t, tenant, { role: 'viewer' });
      const admin = await addTestUser(t, tenant, { role: 'admin' });
      const as = (user: { headers: Record<string, string> }) =>
        tenantClient(t.request, '/api/crm', user.headers);
      const ids = async (user: { headers: Record<string, string> }) =>
        (dataOf(await as(user).get('/presence')).items as { agentId: string }[])
          .map((item) => item.agentId)
          .sort();

      expect(await ids(userA)).toEqual([a]);
      expect(await ids(manager)).toEqual([a, b].sort());
      expect(await ids(viewer)).toEqual([a, b, c].sort());
      expect(dataOf(await t.crm(tenant).get('/presence?limit=2')).items).toHaveLength(2);
      expect((await as(userA).get(`/presence/${b}`)).status).toBe(404);
      expect((await as(manager).get(`/presence/${c}`)).status).toBe(404);
      expect((await as(userA).get(`/presence/${randomUUID()}`)).status).toBe(404);

      const put = (user: { headers: Record<string, string> } | null, agentId: string, setting: string) =>
        (user ? as(user) : t.crm(tenant)).put(`/presence/${agentId}`, { setting });
      const own = await put(userA, a, 'away');
      expect(own.status, own.text).toBe(200);
      expect(own.body.data).toMatchObject({ agentId: a, setting: 'away' });
      expect((await put(userA, b, 'away')).status).toBe(404);
      expect((await put(manager, b, 'away')).status).toBe(200);
      expect((await put(manager, c, 'away')).status).toBe(404);
      expect((await put(viewer, c, 'away')).status).toBe(403);
      expect((await put(admin, c, 'away')).status).toBe(200);
      expect((await put(null, c, 'available')).status).toBe(200);
      expect((await put(admin, randomUUID(), 'away')).status).toBe(404);
      expect((await put(admin, a, 'busy')).status).toBe(400);
      const settings = (
        dataOf(await t.crm(tenant).get('/presence')).items as { agentId: string; setting: string }[]
      ).map((item) => [item.agentId, item.setting] as const);
      expect(new Map(settings)).toEqual(
        new Map([
          [a, 'away'],
          [b, 'away'],
          [c, 'available'],
        ]),
      );

      // A role that sees every agent but writes only its own: 403 on another's.
      const handle = await tenantHandle(t, tenant.tenant.id);
      await handle.db
        .insertInto('roles')
        .values({
          key: 'caller',
          name: 'Caller',
          description: null,
          grants: ['leads.read:all', 'leads.write:own'],
        })
        .execute();
      const caller = await addTestUser(t, tenant, { role: 'caller', agentId: c });
      expect((await put(caller, c, 'away')).status).toBe(200);
      const refused = await put(caller, a, 'available');
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    });

    it('PUT emits agent.presence to the tenant and the agent', async () => {
      const tenant = await t.createTenant();
      const agentId = await agentOf(tenant);
      const user = await addTestUser(t, tenant, { role: 'agent', agentId });
      const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
      const mine = await open({ token: user.accessToken });
      await expect.poll(() => presenceEvents(key.received, agentId).length, { timeout: 10_000 }).toBe(1);
      expect(dataOf(await t.crm(tenant).put(`/presence/${agentId}`, { setting: 'away' }))).toMatchObject({
        presence: 'online',
      });
      for (const client of [mine, key])
        await expect
          .poll(() => presenceEvents(client.received, agentId).at(-1)?.setting, { timeout: 10_000 })
          .toBe('away');
    });
  });
});

describe.runIf(testDatabaseKind === 'postgres')('agent presence across two nodes (Redis adapter)', () => {
  let available = false;
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    available = await redisForTests('the cross-node presence test');
    if (!available) return;
    // One deployment: one Redis channel, one key signing access tokens.
    const env = {
      REDIS_URL: testRedisUrl,
      REALTIME_REDIS_KEY: `switchyard-test-${randomUUID()}`,
      SECRETS_KEY: randomBytes(32).toString('base64'),
    };
    first = await startTestApp(env);
    second = await startTestApp(env, first.database);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await second?.close();
    await first?.close();
  });

  it('stays online while a socket on the other node is connected; offline when the last one goes', async (context) => {
    if (!available) context.skip();
    const tenant = await first!.createTenant();
    const agentId = dataOf(await first!.crm(tenant).post('/agents', { name: 'Roaming' }), 201).id as string;
    const user = await addTestUser(first!, tenant, { role: 'agent', agentId });
    const db = (await tenantHandle(first!, tenant.tenant.id)).db;
    const online = async () =>
      (
        await db
          .selectFrom('agent_presence')
          .select('online')
          .where('agent_id', '=', agentId)
          .executeTakeFirst()
      )?.online;
    const watcher = await connect(second!, { clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
    sockets.push(watcher.socket);

    const onFirst = await connect(first!, { token: user.accessToken });
    sockets.push(onFirst.socket);
    await expect.poll(online, { timeout: 10_000 }).toBe(true);
    const seen = async () =>
      (
        await db
          .selectFrom('agent_presence')
          .select('last_seen_at')
          .where('agent_id', '=', agentId)
          .executeTakeFirstOrThrow()
      ).last_seen_at!.getTime();
    const seenFirst = await seen();
    const onSecond = await connect(second!, { token: user.accessToken });
    sockets.push(onSecond.socket);
    await expect.poll(seen, { timeout: 10_000 }).toBeGreaterThan(seenFirst);
    const seenSecond = await seen();
    onFirst.socket.close();
    // The first node counted the second node's socket: still online, and no offline event.
    await expect.poll(seen, { timeout: 10_000 }).toBeGreaterThan(seenSecond);
    expect(await online()).toBe(true);
    expect(presenceEvents(watcher.received, agentId).map((p) => p.presence)).toEqual(['available']);
    onSecond.socket.close();
    await expect.poll(online, { timeout: 10_000 }).toBe(false);
    await expect
      .poll(() => presenceEvents(watcher.received, agentId).map((p) => p.presence), { timeout: 10_000 })
      .toEqual(['available', 'offline']);
  });
});
