import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

describe('tenant authentication', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  const admin = { authorization: `Bearer ${testAdminToken}` };

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    a = await t.createTenant('acme');
    b = await t.createTenant('globex');
  });
  afterAll(() => t?.close());

  it('answers whoami for a valid code and key', async () => {
    const res = await t.crm(a).get('/whoami');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      data: { clientCode: 'acme', name: 'Tenant acme', status: 'active', apiKey: { label: 'default' } },
    });
  });

  it('gives the same 401 for missing, wrong, foreign, unknown and malformed credentials', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'x-client-code': 'acme' },
      { 'x-client-code': 'acme', 'x-api-key': a.apiKey.slice(0, -2) + 'xx' },
      { 'x-client-code': 'globex', 'x-api-key': a.apiKey },
      { 'x-client-code': 'nobody', 'x-api-key': a.apiKey },
      { 'x-client-code': 'acme', 'x-api-key': 'not-a-key' },
    ];
    const bodies = [];
    for (const headers of attempts) {
      const res = await t.request('/api/crm/whoami', { headers });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      bodies.push(res.body.message);
    }
    // Beyond "headers missing", every failure reads the same: nothing tells which part was wrong.
    expect(new Set(bodies.slice(2)).size).toBe(1);
  });

  it('refuses a revoked key and keeps the others working', async () => {
    const created = await t.request(`/api/platform/tenants/globex/keys`, {
      headers: admin,
      body: { label: 'zapier', scopes: ['crm'] },
    });
    expect(created.status).toBe(201);
    const extra = { 'x-client-code': 'globex', 'x-api-key': created.body.data.apiKey };
    expect((await t.request('/api/crm/whoami', { headers: extra })).status).toBe(200);

    const revoked = await t.request(`/api/platform/tenants/globex/keys/${created.body.data.id}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data.revokedAt).toBeTruthy();
    await expect.poll(async () => (await t.request('/api/crm/whoami', { headers: extra })).status).toBe(401);
    expect((await t.crm(b).get('/whoami')).status).toBe(200);
  });

  it('answers 403 for a suspended tenant and 200 again once resumed', async () => {
    const c = await t.createTenant('initech');
    await t.request('/api/platform/tenants/initech/suspend', { method: 'POST', headers: admin });
    await expect.poll(async () => (await t.crm(c).get('/whoami')).status).toBe(403);
    await t.request('/api/platform/tenants/initech/resume', { method: 'POST', headers: admin });
    await expect.poll(async () => (await t.crm(c).get('/whoami')).status).toBe(200);
  });

  it('rate-limits per tenant with 429 and Retry-After', async () => {
    const c = await t.createTenant('umbrella');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.crm(c).get('/whoami')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await t.crm(c).get('/whoami');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another tenant's budget is untouched.
    const other = await t.createTenant('hooli');
    expect((await t.crm(other).get('/whoami')).status).toBe(200);
  });

  it('enforces key scopes', async () => {
    const key = await t.request('/api/platform/tenants/acme/keys', {
      headers: admin,
      body: { label: 'automations-only', scopes: ['automations'] },
    });
    const res = await t.request('/api/crm/whoami', {
      headers: { 'x-client-code': 'acme', 'x-api-key': key.body.data.apiKey },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });
});
