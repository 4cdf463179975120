import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';

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
