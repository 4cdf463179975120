import { io as connectClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

/** Every entry point checks a key's scopes the same way: routes, aliases, sockets. */
describe('key scopes on every entry point', () => {
  let t: TestApp;
  let a: TestTenant;
  const admin = { authorization: `Bearer ${testAdminToken}` };

  const keyWith = async (scopes: string[]): Promise<TestTenant> => {
    const created = await t.request(`/api/platform/tenants/${a.tenant.clientCode}/keys`, {
      headers: admin,
      body: { label: scopes.join('+'), scopes },
    });
    expect(created.status).toBe(201);
    const apiKey: string = created.body.data.apiKey;
    return { ...a, apiKey, headers: { ...a.headers, 'x-api-key': apiKey } };
  };

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('scopes');
  });
  afterAll(() => t?.close());

  it('refuses the CRM alias of automation events to a crm-only key, as the automations route does', async () => {
    const crmOnly = await keyWith(['crm']);
    const event = { trigger: 'form_submitted', phone: '+14155550131', createLeadIfMissing: true };
    const viaAlias = await t.crm(crmOnly).post('/automations/events', event);
    expect(viaAlias.status).toBe(403);
    expect(viaAlias.body.error.code).toBe('forbidden');
    expect((await t.automations(crmOnly).post('/events', event)).status).toBe(403);
    // The lead was not created by the refused call.
    expect((await t.crm(crmOnly).get('/leads')).body.data.items).toHaveLength(0);

    const both = await keyWith(['crm', 'automations']);
    expect((await t.crm(both).post('/automations/events', event)).status).toBe(202);
  });

  it('refuses a socket to a key without the crm scope', async () => {
    const automationsOnly = await keyWith(['automations']);
    const socket = connectClient(t.baseUrl, {
      auth: { clientCode: a.tenant.clientCode, apiKey: automationsOnly.apiKey },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      const outcome = await new Promise<any>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', resolve);
      });
      expect(outcome).not.toBe('connected');
      expect(outcome.data).toEqual({ code: 'forbidden' });
    } finally {
      socket.close();
    }
  });
});
