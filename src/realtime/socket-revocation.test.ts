import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

const admin = { authorization: `Bearer ${testAdminToken}` };

/** A connected dashboard that records the events it receives and whether the server dropped it. */
async function dashboard(t: TestApp, tenant: TestTenant, apiKey: string) {
  const socket = connectClient(t.baseUrl, {
    auth: { clientCode: tenant.tenant.clientCode, apiKey },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  const received: string[] = [];
  let disconnectReason: string | null = null;
  socket.onAny((event: string) => received.push(event));
  socket.on('disconnect', (reason) => (disconnectReason = reason));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, received, disconnectReason: () => disconnectReason };
}

/** Access ends when it is revoked: a connected socket does not outlive its key or its tenant. */
describe('sockets after revocation', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  const issueKey = async (tenant: TestTenant) => {
    const created = await t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/keys`, {
      headers: admin,
      body: { label: 'dashboard', scopes: ['crm'] },
    });
    expect(created.status).toBe(201);
    return created.body.data as { id: string; apiKey: string };
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
  });

  it('disconnects a socket whose key is revoked; the tenant’s other sockets keep receiving', async () => {
    const tenant = await t.createTenant('revoked');
    const key = await issueKey(tenant);
    const revokedClient = await dashboard(t, tenant, key.apiKey);
    const otherClient = await dashboard(t, tenant, tenant.apiKey);
    sockets.push(revokedClient.socket, otherClient.socket);
    await t.crm(tenant).post('/leads', { name: 'Before', phone: '+14155550141' });
    await expect.poll(() => revokedClient.received.includes('lead.created')).toBe(true);

    const revoked = await t.request(`/api/platform/tenants/revoked/keys/${key.id}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(revoked.status).toBe(200);
    await expect
      .poll(() => revokedClient.disconnectReason(), { timeout: 5_000 })
      .toBe('io server disconnect');
    revokedClient.received.length = 0;
    otherClient.received.length = 0;

    await t.crm(tenant).post('/leads', { name: 'After', phone: '+14155550142' });
    await expect.poll(() => otherClient.received.includes('lead.created')).toBe(true);
    expect(otherClient.socket.connected).toBe(true);
    expect(revokedClient.received).toEqual([]);
  });

  it('disconnects every socket of a suspended tenant, and only that tenant’s', async () => {
    const suspended = await t.createTenant('suspended');
    const bystander = await t.createTenant('bystander');
    const suspendedClient = await dashboard(t, suspended, suspended.apiKey);
    const bystanderClient = await dashboard(t, bystander, bystander.apiKey);
    sockets.push(suspendedClient.socket, bystanderClient.socket);

    const res = await t.request('/api/platform/tenants/suspended/suspend', {
      method: 'POST',
      headers: admin,
    });
    expect(res.status).toBe(200);
    await expect
      .poll(() => suspendedClient.disconnectReason(), { timeout: 5_000 })
      .toBe('io server disconnect');
    await t.crm(bystander).post('/leads', { name: 'Still', phone: '+14155550143' });
    await expect.poll(() => bystanderClient.received.includes('lead.created')).toBe(true);
    expect(bystanderClient.socket.connected).toBe(true);

    // Events for the suspended tenant (emitted by work already under way) reach nobody.
    t.app.services.realtime.emitToTenant(suspended.tenant.id, 'lead.created', { id: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(suspendedClient.received).toEqual([]);
  });
});
