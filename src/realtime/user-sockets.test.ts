import { decodeJwt } from 'jose';
import { io as connectClient, type Socket } from 'socket.io-client';
import { AccessTokens, type AccessClaims } from '../auth/access-tokens.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { addTestTeam, addTestUser } from '../testing/staff-users.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

type Received = { event: string; lead: any }[];

/** A connected client (a user's access token, or the tenant's API key) recording what it receives. */
async function connect(t: TestApp, auth: Record<string, string>) {
  const socket = connectClient(t.baseUrl, {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  const received: Received = [];
  let disconnectReason: string | null = null;
  // Lead events only: agent presence (`agent.presence`, a linked user connecting) is tested in src/presence.
  socket.onAny((event: string, lead: any) => {
    if (event !== 'agent.presence') received.push({ event, lead });
  });
  socket.on('disconnect', (reason) => (disconnectReason = reason));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const leadIds = () => new Set(received.map(({ lead }) => lead?.id));
  const waitForLead = (id: string, event = 'lead.created') =>
    expect
      .poll(() => received.some((entry) => entry.event === event && entry.lead?.id === id), {
        timeout: 10_000,
      })
      .toBe(true);
  return { socket, received, leadIds, waitForLead, disconnectReason: () => disconnectReason };
}

/** Users' sockets receive lead events only for the leads their `leads.read` scope reaches. */
describe('realtime visibility of user sockets', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let agents: Record<'one' | 'two' | 'three', string>;
  const sockets: Socket[] = [];
  const open = async (auth: Record<string, string>) => {
    const client = await connect(t, auth);
    sockets.push(client.socket);
    return client;
  };
  const leadFor = async (agentId: string, phone: string) => {
    const res = await t.crm(tenant).post('/leads', { name: 'Live', phone, assignedAgentId: agentId });
    expect(res.status).toBe(201);
    return res.body.data.lead as { id: string; assignedAgentId: string };
  };

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant('sockvis');
  });
  // Fresh agents for each case: an agent profile belongs to one user at most.
  beforeEach(async () => {
    const agent = async (name: string) =>
      (await t.crm(tenant).post('/agents', { name: `Agent ${name}` })).body.data.id as string;
    agents = { one: await agent('one'), two: await agent('two'), three: await agent('three') };
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
  });

  it('disconnects a user socket when its access token expires (the client reconnects with a fresh one)', async () => {
    const admin = await addTestUser(t, tenant, { role: 'admin' });
    const { sub, sid, tid, role, perms } = decodeJwt(admin.accessToken) as unknown as AccessClaims;
    const shortLived = await new AccessTokens(t.app.services.config.secrets.currentKey, [], 2).sign(
      'tenant',
      {
        sub,
        sid,
        tid,
        role,
        perms,
      },
    );
    const expiring = await open({ token: shortLived });
    const lasting = await open({ token: admin.accessToken });
    await expect.poll(() => expiring.disconnectReason(), { timeout: 15_000 }).toBe('io server disconnect');
    expect(lasting.socket.connected).toBe(true);
  });

  it('masks phone and email in the events a user without pii.read receives, and only for them', async () => {
    const viewer = await addTestUser(t, tenant, { role: 'viewer' });
    const admin = await addTestUser(t, tenant, { role: 'admin' });
    const masked = await open({ token: viewer.accessToken });
    const whole = await open({ token: admin.accessToken });
    const res = await t.crm(tenant).post('/leads', {
      name: 'Private Person',
      phone: '+14155550399',
      email: 'private.person@example.com',
      assignedAgentId: agents.one,
    });
    expect(res.status).toBe(201);
    const { id } = res.body.data.lead;
    await masked.waitForLead(id);
    await whole.waitForLead(id);
    const seen = (client: { received: Received }) =>
      client.received.filter((entry) => entry.lead?.id === id).map((entry) => entry.lead);
    expect(seen(whole).every((lead) => lead.phone === '+14155550399')).toBe(true);
    const viewerCopies = seen(masked);
    expect(viewerCopies.length).toBe(seen(whole).length);
    for (const lead of viewerCopies) {
      expect(lead.phone).not.toContain('55503');
      expect(lead.phone.endsWith('0399')).toBe(true);
      expect(lead.email).not.toContain('private.person');
    }
  });

  it("an agent receives its own leads' events, a manager its team's, an admin and a key every lead's", async () => {
    const team = await addTestTeam(t, tenant, 'North');
    const agentOne = await addTestUser(t, tenant, { role: 'agent', agentId: agents.one, teamIds: [team] });
    await addTestUser(t, tenant, { role: 'agent', agentId: agents.two, teamIds: [team] });
    const manager = await addTestUser(t, tenant, { role: 'manager', teamIds: [team] });
    const admin = await addTestUser(t, tenant, { role: 'admin' });
    const one = await open({ token: agentOne.accessToken });
    const boss = await open({ token: manager.accessToken });
    const all = await open({ token: admin.accessToken });
    const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });

    const ofTwo = await leadFor(agents.two, '+14155550301');
    const ofThree = await leadFor(agents.three, '+14155550302');
    const ofOne = await leadFor(agents.one, '+14155550303');
    // Events reach a socket in order: once the last lead's are in, the earlier ones' would be too.
    for (const client of [one, boss, all, key]) await client.waitForLead(ofOne.id);
    expect(one.leadIds()).toEqual(new Set([ofOne.id]));
    expect(boss.leadIds()).toEqual(new Set([ofTwo.id, ofOne.id]));
    expect(all.leadIds()).toEqual(new Set([ofTwo.id, ofThree.id, ofOne.id]));
    expect(key.leadIds()).toEqual(new Set([ofTwo.id, ofThree.id, ofOne.id]));
    // Once each, though the admin's and the key's sockets are in every room a lead reaches.
    const createdOf = (received: Received, id: string) =>
      received.filter(({ event, lead }) => event === 'lead.created' && lead.id === id).length;
    expect(createdOf(key.received, ofOne.id)).toBe(1);
    expect(createdOf(boss.received, ofOne.id)).toBe(1);

    // Another agent's lead assigned to agent two: the manager hears it, agent one does not.
    const moved = await t.crm(tenant).patch(`/leads/${ofThree.id}`, { assignedAgentId: agents.two });
    expect(moved.status).toBe(200);
    const sentinel = await leadFor(agents.one, '+14155550304');
    await one.waitForLead(sentinel.id);
    await boss.waitForLead(ofThree.id, 'lead.assigned');
    await boss.waitForLead(sentinel.id);
    expect(one.leadIds()).toEqual(new Set([ofOne.id, sentinel.id]));
  });

  it('refuses subscribe:agent to an agent the user cannot see', async () => {
    const agentOne = await addTestUser(t, tenant, { role: 'agent', agentId: agents.one });
    const team = await addTestTeam(t, tenant, 'South');
    await addTestUser(t, tenant, { role: 'agent', agentId: agents.two, teamIds: [team] });
    const manager = await addTestUser(t, tenant, { role: 'manager', teamIds: [team] });
    const one = await open({ token: agentOne.accessToken });
    const boss = await open({ token: manager.accessToken });
    expect(await one.socket.emitWithAck('subscribe:agent', agents.one)).toEqual({ ok: true });
    expect(await one.socket.emitWithAck('subscribe:agent', agents.two)).toEqual({ ok: false });
    expect(await boss.socket.emitWithAck('subscribe:agent', agents.two)).toEqual({ ok: true });
    expect(await boss.socket.emitWithAck('subscribe:agent', agents.three)).toEqual({ ok: false });
    // The API key, acting as the tenant, still joins any agent's room.
    const key = await open({ clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey });
    expect(await key.socket.emitWithAck('subscribe:agent', agents.three)).toEqual({ ok: true });
  });

  it('refuses a bad token at connect', async () => {
    const socket = connectClient(t.baseUrl, {
      auth: { token: 'not-a-token' },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    const error = await new Promise<any>((resolve) => socket.once('connect_error', resolve));
    expect(error.data).toEqual({ code: 'unauthorized' });
  });

  it("disconnects a disabled user's socket; a changed role's socket follows its new scope", async () => {
    const disabled = await addTestUser(t, tenant, { role: 'agent', agentId: agents.one });
    const promoted = await addTestUser(t, tenant, { role: 'agent', agentId: agents.two });
    const gone = await open({ token: disabled.accessToken });
    const rising = await open({ token: promoted.accessToken });
    const handle = await tenantHandle(t, tenant.tenant.id);

    await handle.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
    const admin = await handle.db
      .selectFrom('roles')
      .select('id')
      .where('key', '=', 'admin')
      .executeTakeFirstOrThrow();
    await handle.db.updateTable('users').set({ role_id: admin.id }).where('id', '=', promoted.id).execute();
    await t.app.services.tenantChanges.announce(t.app.services.platform, tenant.tenant.id);

    await expect.poll(() => gone.disconnectReason(), { timeout: 5_000 }).toBe('io server disconnect');
    // Now an admin: agent three's leads reach the promoted user's socket (re-placed in the tenant room).
    let phone = 14155550400;
    await expect
      .poll(
        async () => {
          const lead = await leadFor(agents.three, `+${phone++}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
          return rising.leadIds().has(lead.id);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(rising.socket.connected).toBe(true);
    expect(gone.received).toEqual([]);
  });
});
