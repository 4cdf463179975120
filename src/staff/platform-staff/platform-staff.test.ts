import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRouter } from '../../http/api-router.js';
import { addTestStaff } from '../../testing/platform-staff.js';
import { addTestUser } from '../../testing/staff-users.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';

const adminToken = { authorization: `Bearer ${testAdminToken}` };
const smtp = {
  host: 'smtp.example.com',
  port: 587,
  password: 'hunter2-very-secret',
  fromAddress: 'crm@x.test',
};

/** Platform staff accounts on /api/platform, their roles, and the audit log of platform changes (issue 17). */
describe('platform staff', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('staffplat');
  });
  afterAll(() => t?.close());

  const platform = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    t.request<any>(`/api/platform${path}`, { method, headers, body });
  const auditOf = async (query: string) => {
    const answer = await platform('GET', `/audit?${query}`, adminToken);
    expect(answer.status).toBe(200);
    return answer.body.data.items as any[];
  };

  it('logs staff in: their access token opens the platform routes, /api/auth/platform/me names them', async () => {
    const admin = await addTestStaff(t, 'platform_admin', { name: 'Asha Admin' });
    const tenants = await platform('GET', '/tenants', admin.headers);
    expect(tenants.status).toBe(200);
    expect(tenants.body.data.items.map((tenant: any) => tenant.clientCode)).toContain('staffplat');
    const me = await t.request<any>('/api/auth/platform/me', { headers: admin.headers });
    expect(me.status).toBe(200);
    expect(me.body.data.user).toMatchObject({
      id: admin.id,
      name: 'Asha Admin',
      role: 'platform_admin',
      status: 'active',
      lastLoginAt: expect.any(String),
    });
    // Nothing else opens them.
    expect((await platform('GET', '/tenants', {})).status).toBe(401);
    expect((await platform('GET', '/tenants', { authorization: 'Bearer a.b.c' })).status).toBe(401);
  });

  it('answers an unknown email, a wrong password and a disabled account with the same 401', async () => {
    const staff = await addTestStaff(t, 'platform_support');
    const disabled = await addTestStaff(t, 'platform_support');
    await t.app.services.platform
      .updateTable('staff_users')
      .set({ status: 'disabled' })
      .where('id', '=', disabled.id)
      .execute();
    const attempts = [
      { email: staff.email, password: 'wrong password 123' },
      { email: 'nobody@staff.test', password: staff.password },
      { email: disabled.email, password: disabled.password },
    ];
    const answers = await Promise.all(
      attempts.map((body) => t.request<any>('/api/auth/platform/login', { body })),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]!.body);
    }
  });

  it('lets support read, suspend and resume, and refuses them every secret, key, limit, tenant or staff write', async () => {
    const support = await addTestStaff(t, 'platform_support');
    const code = a.tenant.clientCode;
    for (const path of ['/tenants', `/tenants/${code}`, '/jobs', '/stats', '/audit']) {
      expect((await platform('GET', path, support.headers)).status, path).toBe(200);
    }
    expect((await platform('POST', `/tenants/${code}/suspend`, support.headers)).status).toBe(200);
    expect((await platform('POST', `/tenants/${code}/resume`, support.headers)).status).toBe(200);

    const keyId = (await platform('GET', `/tenants/${code}`, adminToken)).body.data.apiKeys[0].id;
    const refused: [string, string, unknown?][] = [
      ['PUT', `/tenants/${code}/secrets/smtp`, smtp],
      ['DELETE', `/tenants/${code}/secrets/smtp`],
      ['POST', `/tenants/${code}/keys`, { label: 'support key' }],
      ['DELETE', `/tenants/${code}/keys/${keyId}`],
      ['PATCH', `/tenants/${code}`, { limits: { importMaxBytes: 10 } }],
      ['POST', '/tenants', { code: 'bysupport', name: 'By support' }],
      ['POST', '/secrets/rotate'],
      ['POST', '/staff', { email: 'x@staff.test', name: 'X', role: 'platform_admin' }],
      ['GET', '/staff'],
    ];
    for (const [method, path, body] of refused) {
      const answer = await platform(method, path, support.headers, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    // Nothing changed: no secret, the key still works, no new tenant.
    const details = (await platform('GET', `/tenants/${code}`, adminToken)).body.data;
    expect(details.secrets).toEqual([]);
    expect(details.apiKeys).toHaveLength(1);
    expect((await t.crm(a).get('/whoami')).status).toBe(200);
    expect((await platform('GET', '/tenants/bysupport', adminToken)).status).toBe(404);

    // The same writes pass for an admin.
    const admin = await addTestStaff(t, 'platform_admin');
    expect((await platform('PUT', `/tenants/${code}/secrets/smtp`, admin.headers, smtp)).status).toBe(200);
    expect(
      (await platform('POST', `/tenants/${code}/keys`, admin.headers, { label: 'by admin' })).status,
    ).toBe(201);
  });

  it('records every platform change with its actor: staff user, shared token or CLI', async () => {
    const admin = await addTestStaff(t, 'platform_admin', { name: 'Ravi Admin' });
    const support = await addTestStaff(t, 'platform_support', { name: 'Sita Support' });
    const created = await platform('POST', '/tenants', admin.headers, { code: 'audited', name: 'Audited' });
    expect(created.status).toBe(201);
    const tenantId = created.body.data.tenant.id;
    expect((await platform('POST', '/tenants/audited/suspend', support.headers)).status).toBe(200);
    expect((await platform('POST', '/tenants/audited/resume', adminToken)).status).toBe(200);
    const key = await platform('POST', '/tenants/audited/keys', adminToken, { label: 'zapier' });
    expect(key.status).toBe(201);
    expect(
      (await platform('DELETE', `/tenants/audited/keys/${key.body.data.id}`, admin.headers)).status,
    ).toBe(200);
    expect((await platform('PUT', '/tenants/audited/secrets/smtp', admin.headers, smtp)).status).toBe(200);
    expect((await platform('DELETE', '/tenants/audited/secrets/smtp', admin.headers)).status).toBe(200);
    const limits = { limits: { importMaxBytes: 5000 } };
    const viaCli = { ...adminToken, 'x-switchyard-cli-user': 'deploy-bot' };
    expect((await platform('PATCH', '/tenants/audited', viaCli, limits)).status).toBe(200);

    const entries = await auditOf('tenant=audited');
    const summary = entries.map((entry) => [entry.action, entry.actor.type, entry.actor.name]).reverse();
    expect(summary).toEqual([
      ['tenant.create', 'staff_user', 'Ravi Admin'],
      ['tenant.suspend', 'staff_user', 'Sita Support'],
      ['tenant.resume', 'admin_token', 'PLATFORM_ADMIN_TOKEN'],
      ['key.create', 'admin_token', 'PLATFORM_ADMIN_TOKEN'],
      ['key.revoke', 'staff_user', 'Ravi Admin'],
      ['secret.put', 'staff_user', 'Ravi Admin'],
      ['secret.delete', 'staff_user', 'Ravi Admin'],
      ['tenant.update', 'cli', 'deploy-bot'],
    ]);
    expect(
      entries.every((entry) => entry.tenant?.id === tenantId && entry.tenant.clientCode === 'audited'),
    ).toBe(true);
    expect(entries.find((entry) => entry.action === 'tenant.create').actor.id).toBe(admin.id);
    expect(entries.find((entry) => entry.action === 'key.create').details).toMatchObject({
      label: 'zapier',
      keyId: key.body.data.id,
    });
    // A secret's value is never recorded.
    expect(JSON.stringify(entries)).not.toContain('hunter2');
    expect(entries.find((entry) => entry.action === 'secret.put').details).toMatchObject({ kind: 'smtp' });

    // Filtered by actor, and paged.
    const bySupport = await auditOf(`actorId=${support.id}`);
    expect(bySupport.map((entry) => entry.action)).toEqual(['tenant.suspend']);
    const firstPage = await platform('GET', '/audit?tenant=audited&limit=3', support.headers);
    expect(firstPage.body.data.items).toHaveLength(3);
    const secondPage = await platform(
      'GET',
      `/audit?tenant=audited&limit=10&cursor=${firstPage.body.data.nextCursor}`,
      support.headers,
    );
    expect(secondPage.body.data.items.map((entry: any) => entry.id)).toEqual(
      entries.slice(3).map((entry) => entry.id),
    );
    expect((await platform('GET', '/audit?tenant=nosuchtenant', adminToken)).status).toBe(404);
  });

  it('records the secrets-key rotation', async () => {
    const admin = await addTestStaff(t, 'platform_admin');
    expect((await platform('POST', '/secrets/rotate', admin.headers)).status).toBe(200);
    const [entry] = await auditOf(`actorId=${admin.id}&action=secrets.rotate`);
    expect(entry).toMatchObject({ actor: { type: 'staff_user', id: admin.id }, tenant: null });
    expect(entry.details).toMatchObject({ resealed: expect.any(Number) });
  });

  it('lets an admin add, change and disable staff; a disabled member is refused on their next request', async () => {
    const admin = await addTestStaff(t, 'platform_admin', { name: 'Boss' });
    const added = await platform('POST', '/staff', admin.headers, {
      email: 'New.Support@Staff.test',
      name: 'New Support',
      role: 'platform_support',
    });
    expect(added.status).toBe(201);
    const { staff, initialPassword } = added.body.data;
    expect(initialPassword).toEqual(expect.any(String));
    expect(staff).toMatchObject({ role: 'platform_support', status: 'active' });
    // The same email, whatever its case, is taken.
    const again = await platform('POST', '/staff', admin.headers, {
      email: 'new.support@staff.test',
      name: 'Again',
      role: 'platform_support',
    });
    expect(again.status).toBe(409);
    const short = await platform('POST', '/staff', admin.headers, {
      email: 'short@staff.test',
      name: 'Short',
      role: 'platform_support',
      password: 'too-short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('validation_failed');

    const login = await t.request<any>('/api/auth/platform/login', {
      body: { email: 'new.support@staff.test', password: initialPassword },
    });
    expect(login.status).toBe(200);
    const headers = { authorization: `Bearer ${login.body.data.accessToken}` };
    expect((await platform('GET', '/tenants', headers)).status).toBe(200);
    expect((await platform('POST', '/tenants/staffplat/keys', headers, { label: 'k' })).status).toBe(403);

    // Promoted: applies on the next request, with the same token.
    const promoted = await platform('PATCH', `/staff/${staff.id}`, admin.headers, { role: 'platform_admin' });
    expect(promoted.status).toBe(200);
    const withRole = await platform('GET', `/staff/${staff.id}`, headers);
    expect(withRole.status).toBe(200);

    const disabled = await platform('PATCH', `/staff/${staff.id}`, admin.headers, { status: 'disabled' });
    expect(disabled.status).toBe(200);
    expect((await platform('GET', '/tenants', headers)).status).toBe(401);
    expect(
      (await t.request('/api/auth/refresh', { body: { refreshToken: login.body.data.refreshToken } })).status,
    ).toBe(401);
    expect(
      (
        await t.request('/api/auth/platform/login', {
          body: { email: 'new.support@staff.test', password: initialPassword },
        })
      ).status,
    ).toBe(401);

    const listed = await platform('GET', '/staff?status=disabled', admin.headers);
    expect(listed.body.data.items.map((item: any) => item.id)).toContain(staff.id);
    expect(listed.body.data.items.every((item: any) => item.status === 'disabled')).toBe(true);
    const changes = (await auditOf(`actorId=${admin.id}`))
      .map((entry) => [entry.action, entry.details])
      .reverse();
    expect(changes).toEqual([
      ['staff.create', expect.objectContaining({ staffId: staff.id, role: 'platform_support' })],
      ['staff.update', expect.objectContaining({ role: { from: 'platform_support', to: 'platform_admin' } })],
      ['staff.update', expect.objectContaining({ status: { from: 'active', to: 'disabled' } })],
    ]);
  });

  it('refreshes and logs out platform sessions through /api/auth/refresh and /api/auth/logout', async () => {
    const support = await addTestStaff(t, 'platform_support');
    const refreshed = await t.request<any>('/api/auth/refresh', {
      body: { refreshToken: support.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.data.user).toMatchObject({ id: support.id, role: 'platform_support' });
    const headers = { authorization: `Bearer ${refreshed.body.data.accessToken}` };
    expect((await platform('GET', '/tenants', headers)).status).toBe(200);

    const out = await t.request<any>('/api/auth/logout', { headers, body: {} });
    expect(out.status).toBe(200);
    expect((await platform('GET', '/tenants', headers)).status).toBe(401);
    expect((await platform('GET', '/tenants', support.headers)).status).toBe(401);
    expect(
      (await t.request('/api/auth/refresh', { body: { refreshToken: refreshed.body.data.refreshToken } }))
        .status,
    ).toBe(401);
  });

  it('keeps tenant and platform tokens apart', async () => {
    const owner = await addTestUser(t, a, { role: 'owner' });
    expect((await platform('GET', '/tenants', owner.headers)).status).toBe(401);
    const admin = await addTestStaff(t, 'platform_admin');
    const leads = await t.request('/api/crm/leads', { headers: admin.headers });
    expect(leads.status).toBe(401);
    expect((await t.request('/api/auth/me', { headers: admin.headers })).status).toBe(401);
    expect((await t.request('/api/auth/platform/me', { headers: owner.headers })).status).toBe(401);
  });

  it('declares the least staff role of every platform route', async () => {
    const doc = (await t.request<any>('/api/openapi.json')).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([path]) => path.startsWith('/api/platform/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(17);
    for (const { path, method, op } of operations) {
      expect(['platform_admin', 'platform_support'], `${method} ${path}`).toContain(op['x-platform-role']);
    }
    const router = new ApiRouter('/api/platform', new OpenAPIRegistry(), { tag: 'x', security: 'platform' });
    expect(() =>
      router.route({ method: 'get', path: '/undeclared', summary: 'x', handler: async () => null }),
    ).toThrow(/platformRole/);
  });
});
