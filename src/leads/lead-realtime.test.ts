import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';
import { freePort } from '../testing/free-port.js';

/** A connected dashboard client that records every event it receives. */
async function dashboard(
  app: TestApp,
  tenant: TestTenant,
  transports: ('websocket' | 'polling')[] = ['websocket'],
) {
  const socket = connectClient(app.baseUrl, {
    auth: { clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey },
    transports,
    forceNew: true,
  });
  const received: { event: string; lead: any }[] = [];
  socket.onAny((event: string, lead: any) => received.push({ event, lead }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const waitFor = (predicate: (entry: { event: string; lead: any }) => boolean) =>
    expect.poll(() => received.some(predicate), { timeout: 10_000 }).toBe(true);
  return { socket, received, waitFor };
}

const ingest = (app: TestApp, tenant: TestTenant, phone: string) =>
  app.crm(tenant).post('/leads', { name: 'Live', phone });

describe('realtime lead events', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('livea');
    b = await t.createTenant('liveb');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
  });

  it('refuses bad credentials at connect', async () => {
    const socket = connectClient(t.baseUrl, {
      auth: { clientCode: 'livea', apiKey: 'sk_live_wrong' },
      transports: ['websocket'],
      forceNew: true,
    });
    sockets.push(socket);
    const error = await new Promise<any>((resolve) => socket.once('connect_error', resolve));
    expect(error.data).toEqual({ code: 'unauthorized' });
  });

  it("never delivers tenant B's events to tenant A and vice versa", async () => {
    const clientA = await dashboard(t, a);
    const clientB = await dashboard(t, b);
    sockets.push(clientA.socket, clientB.socket);
    await t.crm(a).post('/agents', { name: 'Agent A' });

    const leadA = (await ingest(t, a, '+14155550101')).body.data.lead;
    const leadB = (await ingest(t, b, '+14155550102')).body.data.lead;
    await clientA.waitFor(({ event, lead }) => event === 'lead.assigned' && lead.id === leadA.id);
    await clientB.waitFor(({ event, lead }) => event === 'lead.unassigned' && lead.id === leadB.id);
    // A's events were emitted before B's ingest began, so B would have them by now.
    const leadIdsOf = (client: { received: { lead: any }[] }) =>
      new Set(client.received.map(({ lead }) => lead.id));
    expect(leadIdsOf(clientA)).toEqual(new Set([leadA.id]));
    expect(leadIdsOf(clientB)).toEqual(new Set([leadB.id]));
    expect(clientA.received.map(({ event }) => event)).toEqual(['lead.created', 'lead.assigned']);
    expect(clientA.received[1]!.lead).toMatchObject({ ref: leadA.ref, assignedAgentId: expect.any(String) });
  });

  it("serves clients on HTTP long-polling, the browser client's first transport", async () => {
    const client = await dashboard(t, a, ['polling']);
    sockets.push(client.socket);
    const lead = (await ingest(t, a, '+14155550103')).body.data.lead;
    await client.waitFor(({ event, lead: sent }) => event === 'lead.created' && sent.id === lead.id);
  });

  it("lets an agent's client join its own room, never another tenant's agent", async () => {
    const agent = (await t.crm(b).post('/agents', { name: 'Agent B' })).body.data;
    const foreign = (await t.crm(a).post('/agents', { name: 'Other' })).body.data;
    const mine = await dashboard(t, b);
    const other = await dashboard(t, a);
    sockets.push(mine.socket, other.socket);
    expect(await mine.socket.emitWithAck('subscribe:agent', agent.id)).toEqual({ ok: true });
    expect(await other.socket.emitWithAck('subscribe:agent', agent.id)).toEqual({ ok: false });
    expect(await mine.socket.emitWithAck('subscribe:agent', foreign.id)).toEqual({ ok: false });
    expect(await mine.socket.emitWithAck('subscribe:nothing', agent.id)).toEqual({ ok: false });

    const lead = (await ingest(t, b, '+14155550103')).body.data.lead;
    expect(lead.assignedAgentId).toBe(agent.id);
    await expect
      .poll(
        () =>
          mine.received.filter(({ event, lead: got }) => event === 'lead.assigned' && got.id === lead.id)
            .length,
      )
      .toBe(2);
  });
});

describe.runIf(testDatabaseKind === 'postgres')('realtime across instances (Redis adapter)', () => {
  let available = false;
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  let socket: Socket | undefined;

  beforeAll(async () => {
    available = await redisForTests('the cross-instance realtime test');
    if (!available) return;
    first = await startTestApp({ REDIS_URL: testRedisUrl });
    second = await startTestApp({ REDIS_URL: testRedisUrl }, first.database);
  });
  afterAll(async () => {
    socket?.close();
    await second?.close();
    await first?.close();
  });

  it('delivers an event emitted on one instance to a client connected to another', async (context) => {
    if (!available) context.skip();
    const tenant = await first!.createTenant();
    const client = await dashboard(second!, tenant);
    socket = client.socket;
    const lead = (await ingest(first!, tenant, '+14155550104')).body.data.lead;
    await client.waitFor(({ event, lead: got }) => event === 'lead.created' && got.id === lead.id);
  });
});

/** A private `redis-server` on its own port (never the shared one), leading its own process group. */
async function startPrivateRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await expect.poll(answers, { timeout: 10_000 }).toBe(true);
  return child;
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

describe.runIf(testDatabaseKind === 'postgres')('Redis lost and back (a private redis-server)', () => {
  let redis: ChildProcess | undefined;
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await second?.close();
    await first?.close();
    if (redis) await killGroup(redis);
  });

  it('keeps serving and delivering locally while Redis is away (20 s, then 5 s), logs one error per outage, and spans nodes again once it is back', async () => {
    const port = await freePort();
    redis = await startPrivateRedis(port);
    const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
    first = await startTestApp(env);
    second = await startTestApp(env, first.database);
    const tenant = await first.createTenant();
    const local = await dashboard(first, tenant);
    const remote = await dashboard(second, tenant);
    sockets.push(local.socket, remote.socket);
    // Answered within 5 s, by the rate-limited route (its headers say the limit was counted).
    const created = async (app: TestApp, phone: string) => {
      const response = await Promise.race([
        ingest(app, tenant, phone),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer within 5 s for ${phone}`)), 5000),
        ),
      ]);
      expect(response.status).toBe(201);
      expect(response.headers.get('ratelimit')).toMatch(/^"tenant"; r=\d+/);
      return response.body.data.lead.id as string;
    };
    const reaches = (client: Awaited<ReturnType<typeof dashboard>>, id: string) =>
      client.waitFor(({ event, lead }) => event === 'lead.created' && lead.id === id);
    /** Warnings and errors about Redis: one per outage, not one per request or reconnect attempt. */
    const redisComplaints = (app: TestApp) =>
      app.logs.filter((line) => (line.level as number) >= 40 && /redis/i.test(String(line.msg)));
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    await reaches(remote, await created(first, '+14155550201'));

    for (const [outage, outageMs] of [
      [1, 20_000],
      [2, 5_000],
    ] as const) {
      await killGroup(redis);
      const lostAt = Date.now();
      await sleep(500);
      // Rate-limited routes keep answering, and sockets on the emitting process still hear events.
      for (let i = 0; i < 20; i++)
        await reaches(local, await created(first, `+1415555${outage}${String(i).padStart(3, '0')}`));
      // Several reconnect attempts fail meanwhile (backoff up to 5 s).
      await sleep(outageMs - (Date.now() - lostAt));
      redis = await startPrivateRedis(port);
      for (const app of [first, second]) {
        await expect
          .poll(() => app.logs.filter((line) => line.msg === 'redis reconnected').length, { timeout: 15_000 })
          .toBe(outage);
      }
      // The adapter spans the nodes again.
      await expect
        .poll(
          async () => {
            const id = await created(
              first!,
              `+1415556${outage}${String(Date.now() % 1000).padStart(3, '0')}`,
            );
            await sleep(300);
            return remote.received.some(({ event, lead }) => event === 'lead.created' && lead.id === id);
          },
          { timeout: 15_000 },
        )
        .toBe(true);
      for (const app of [first, second]) {
        const complaints = redisComplaints(app);
        expect(complaints.map((line) => line.msg)).toHaveLength(outage);
        expect(complaints.every((line) => line.level === 50)).toBe(true);
      }
    }
  }, 120_000);
});
