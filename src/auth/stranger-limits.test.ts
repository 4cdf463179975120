import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../crypto/api-key.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

describe('strangers: address budget before authentication, unknown key prefixes remembered', () => {
  const budget = 20;
  let t: TestApp;
  let acme: TestTenant;
  const lookups = () => t.app.services.authenticator.keyLookups;
  const from = (address: string, headers: Record<string, string>) => ({
    headers: { ...headers, 'x-forwarded-for': address },
  });

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', PREAUTH_RATE_LIMIT_PER_MINUTE: String(budget) });
    acme = await t.createTenant('acme');
  });
  afterAll(() => t?.close());

  it('answers a flood of random keys from one address 429 after its budget, without a lookup each', async () => {
    const before = lookups();
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 200; i++) {
      const res = await t.request(
        '/api/crm/whoami',
        from('203.0.113.7', { 'x-client-code': 'acme', 'x-api-key': generateApiKey().key }),
      );
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, budget).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(budget).every((status) => status === 429)).toBe(true);
    expect(limited?.body.error.code).toBe('rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(lookups() - before).toBeLessThanOrEqual(budget);

    // The platform family is behind the same budget.
    const platform = await t.request(
      '/api/platform/tenants',
      from('203.0.113.7', { authorization: `Bearer ${testAdminToken}` }),
    );
    expect(platform.status).toBe(429);

    // A tenant calling from another address is unaffected.
    expect((await t.request('/api/crm/whoami', from('198.51.100.9', acme.headers))).status).toBe(200);
  });

  it('looks an unknown prefix up once, and a key created meanwhile works at once', async () => {
    const unknown = generateApiKey().key;
    const before = lookups();
    for (let i = 0; i < 10; i++) {
      const res = await t.request(
        '/api/crm/whoami',
        from(`192.0.2.${i}`, { 'x-client-code': 'acme', 'x-api-key': unknown }),
      );
      expect(res.status).toBe(401);
    }
    expect(lookups() - before).toBe(1);

    const created = await t.request('/api/platform/tenants/acme/keys', {
      headers: { authorization: `Bearer ${testAdminToken}` },
      body: { label: 'fresh', scopes: ['crm'] },
    });
    expect(created.status).toBe(201);
    const fresh = { 'x-client-code': 'acme', 'x-api-key': created.body.data.apiKey };
    expect((await t.request('/api/crm/whoami', from('192.0.2.50', fresh))).status).toBe(200);
  });
});
