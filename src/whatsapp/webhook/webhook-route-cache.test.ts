import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { webhook } from '../testing/meta-payloads.js';
import { storedEventsWith, textChange } from '../testing/stored-events.js';
import { webhookClient } from '../testing/webhook-client.js';

const movingNumber = '3000003';

/** Webhook routes and own-app secrets are cached; a tenant change must reach them before any TTL. */
describe('WebhookRouteCache and tenant changes', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let initech: TestTenant;
  const { setWhatsApp, post } = webhookClient(() => t);

  const text = (phoneNumberId: string, wamid: string) =>
    webhook({ changes: [textChange(phoneNumberId, wamid)] });
  const eventsWith = (tenant: TestTenant, wamid: string) => storedEventsWith(t, tenant, wamid);
  /** Resolves once every process-wide change notice for these tenants has been delivered here. */
  const announced = (tenants: TestTenant[]) =>
    new Promise<void>((resolve) => {
      const waiting = new Set(tenants.map((tenant) => tenant.tenant.id));
      const stop = t.app.services.tenantChanges.subscribe((tenantId) => {
        if (tenantId) waiting.delete(tenantId);
        if (waiting.size === 0) {
          stop();
          resolve();
        }
      });
    });

  beforeAll(async () => {
    // Far longer than the test: only the change notice can make the caches let go.
    t = await startTestApp({
      META_APP_SECRET: 'platform-app-secret',
      ROLE: 'web',
      AUTH_CACHE_TTL_MS: '600000',
    });
    acme = await t.createTenant('acme');
    globex = await t.createTenant('globex');
    initech = await t.createTenant('initech');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('routes a number moved to another tenant to that tenant at once', async () => {
    const secret = { accessToken: 'x', verifyToken: 'v', phoneNumberIds: [movingNumber] };
    expect((await setWhatsApp('acme', { ...secret, wabaId: 'WABA-acme' })).status).toBe(200);
    expect((await post(text(movingNumber, 'wamid.BEFORE'), undefined, 'platform-app-secret')).status).toBe(
      200,
    );
    expect(await eventsWith(acme, 'wamid.BEFORE')).toBe(1);

    const moved = announced([acme, globex]);
    const removed = await t.request('/api/platform/tenants/acme/secrets/whatsapp', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${testAdminToken}` },
    });
    expect(removed.status).toBe(200);
    expect((await setWhatsApp('globex', { ...secret, wabaId: 'WABA-globex' })).status).toBe(200);
    await moved;

    expect((await post(text(movingNumber, 'wamid.AFTER'), undefined, 'platform-app-secret')).status).toBe(
      200,
    );
    expect(await eventsWith(globex, 'wamid.AFTER')).toBe(1);
    expect(await eventsWith(acme, 'wamid.AFTER')).toBe(0);
  });

  it("checks a tenant's own app secret as it is now, not as it was cached", async () => {
    const path = '/api/whatsapp/webhook/initech';
    const secret = {
      accessToken: 'x',
      verifyToken: 'v',
      phoneNumberIds: ['4000004'],
      wabaId: 'WABA-initech',
    };
    expect((await setWhatsApp('initech', { ...secret, appSecret: 'old-app-secret' })).status).toBe(200);
    expect((await post(text('4000004', 'wamid.OLD'), path, 'old-app-secret')).status).toBe(200);

    const rotated = announced([initech]);
    expect((await setWhatsApp('initech', { ...secret, appSecret: 'new-app-secret' })).status).toBe(200);
    await rotated;

    expect((await post(text('4000004', 'wamid.NEW'), path, 'new-app-secret')).status).toBe(200);
    expect((await post(text('4000004', 'wamid.STALE'), path, 'old-app-secret')).status).toBe(401);
    expect(await eventsWith(initech, 'wamid.NEW')).toBe(1);
    expect(await eventsWith(initech, 'wamid.STALE')).toBe(0);
  });
});
