import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp } from '../testing/test-app.js';

describe('HTTP core', () => {
  let t: TestApp;
  const admin = { authorization: `Bearer ${testAdminToken}` };
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '2kb' });
  });
  afterAll(() => t?.close());

  it('answers health checks', async () => {
    expect((await t.request('/')).body).toEqual({ success: true, data: { status: 'ok' } });
    expect((await t.request('/health/live')).status).toBe(200);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.data.checks.database.status).toBe('up');
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const res = await t.request('/api/platform/tenants', {
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{"code": "acme", ',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      message: expect.any(String),
      error: { code: 'invalid_json' },
    });
  });

  it('rejects an oversize body with 413 in the envelope', async () => {
    const res = await t.request('/api/platform/tenants', {
      headers: admin,
      body: { code: 'big', name: 'x'.repeat(4096) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('answers hot routes (served without Express) with the same headers and errors as the rest', async () => {
    const tenant = await t.createTenant('hotpath', { defaultCountry: 'US' });
    const hot = await t.request('/api/crm/leads', {
      headers: { ...tenant.headers, origin: 'https://dash.example.com', 'x-request-id': 'hot-1' },
      body: { name: 'Hot Path', phone: '+14155550123' },
    });
    const cold = await t.request('/api/crm/whoami', {
      headers: { ...tenant.headers, origin: 'https://dash.example.com' },
    });
    expect(hot.status).toBe(201);
    expect(hot.headers.get('x-request-id')).toBe('hot-1');
    for (const header of [
      'content-type',
      'x-content-type-options',
      'content-security-policy',
      'strict-transport-security',
      'access-control-allow-origin',
      'ratelimit-policy',
    ]) {
      expect(hot.headers.get(header), header).toBe(cold.headers.get(header));
    }
    const malformed = await t.request('/api/crm/leads', {
      headers: { ...tenant.headers, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'invalid_json']);
    const large = await t.crm(tenant).post('/leads', { name: 'x'.repeat(4096), phone: '+14155550124' });
    expect([large.status, large.body.error.code]).toEqual([413, 'payload_too_large']);
    const anonymous = await t.request('/api/crm/leads', { body: { name: 'No key', phone: '+14155550125' } });
    expect([anonymous.status, anonymous.body.success]).toEqual([401, false]);
    const invalid = await t.crm(tenant).post('/leads', { phone: '12' });
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'validation_failed']);
    // A CORS preflight is not a hot route: Express answers it.
    const preflight = await fetch(`${t.baseUrl}/api/crm/leads`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
  });

  it('answers an unknown route with a 404 envelope', async () => {
    const res = await t.request('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'not_found' } });
  });

  it('reports every invalid field with its path', async () => {
    const res = await t.request('/api/platform/tenants', {
      headers: admin,
      body: { code: '1x', timezone: 'Mars/Olympus', defaultCountry: 'ZZ' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['body.code', 'body.defaultCountry', 'body.name', 'body.timezone']);
  });

  it('answers 409 for a taken client code', async () => {
    await t.createTenant('dupe');
    const res = await t.request('/api/platform/tenants', {
      headers: admin,
      body: { code: 'dupe', name: 'Again' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });

  it('guards platform routes with the admin token', async () => {
    expect((await t.request('/api/platform/tenants')).status).toBe(401);
    const wrong = await t.request('/api/platform/tenants', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
  });

  it('echoes a caller request id and makes one otherwise', async () => {
    const given = await t.request('/', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await t.request('/');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const logged = t.logs.find((line) => (line.req as { id?: string } | undefined)?.id === 'trace-abc-123');
    expect(logged).toBeDefined();
  });

  it('serves the OpenAPI document and the interactive docs', async () => {
    const doc = await t.request('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/crm/whoami',
        '/api/platform/tenants',
        '/api/platform/tenants/{code}/secrets/{kind}',
        '/health/ready',
      ]),
    );
    // Tenant routes: an API key (both headers) or a user's access token.
    expect(doc.body.paths['/api/crm/whoami'].get.security).toEqual([
      { clientCode: [], apiKey: [] },
      { userToken: [] },
    ]);
    expect(doc.body.paths['/api/crm/leads'].get['x-permission']).toBe('leads.read');
    const docs = await t.request('/api/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});
