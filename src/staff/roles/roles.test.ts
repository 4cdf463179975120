import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissions } from '../../auth/permissions.js';
import { addTestUser } from '../../testing/staff-users.js';
import { dataOf } from '../../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';

/** `/api/crm/roles` and `/api/crm/permissions`: built-in roles read-only, custom roles from the catalogue. */
describe('roles API', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('roles');
  });
  afterAll(() => t?.close());
  const crm = () => t.crm(a);

  it('lists the built-in roles with their grants and user counts, and the permission catalogue', async () => {
    await addTestUser(t, a, { role: 'viewer' });
    const roles = dataOf(await crm().get('/roles')).items as {
      key: string;
      builtIn: boolean;
      userCount: number;
      grants: string[];
    }[];
    expect(roles.map((role) => role.key)).toEqual(['admin', 'agent', 'manager', 'owner', 'viewer']);
    expect(roles.every((role) => role.builtIn)).toBe(true);
    expect(roles.find((role) => role.key === 'viewer')).toMatchObject({
      userCount: 1,
      grants: ['leads.read:all'],
    });
    const catalogue = dataOf(await crm().get('/permissions'));
    expect(catalogue.permissions.map((p: { permission: string }) => p.permission)).toEqual(permissions);
    expect(
      catalogue.permissions.find((p: { permission: string }) => p.permission === 'leads.read'),
    ).toMatchObject({
      scoped: true,
    });
    expect(catalogue.scopes).toEqual(['own', 'team', 'all']);
  });

  it('creates a custom role; refuses unknown grants, bad keys and taken keys', async () => {
    const role = dataOf(
      await crm().post('/roles', {
        key: 'team_lead',
        name: 'Team lead',
        grants: ['leads.read:team', 'leads.assign:team', 'leads.read:team'],
      }),
      201,
    );
    expect(role).toMatchObject({
      key: 'team_lead',
      builtIn: false,
      userCount: 0,
      grants: ['leads.assign:team', 'leads.read:team'],
    });
    for (const grants of [['leads.fly:all'], ['leads.read'], ['pii.read:all'], ['users.manage:own:x']]) {
      const bad = await crm().post('/roles', { key: 'bad_role', name: 'Bad', grants });
      expect(bad.status, JSON.stringify(grants)).toBe(400);
      expect(bad.body.error.details[0].path).toMatch(/^body\.grants/);
    }
    expect((await crm().post('/roles', { key: 'Bad-Key', name: 'Bad', grants: [] })).status).toBe(400);
    expect((await crm().post('/roles', { key: 'ok_key', name: 'x', grants: [], builtIn: true })).status).toBe(
      400,
    );
    expect((await crm().post('/roles', { key: 'team_lead', name: 'Again', grants: [] })).status).toBe(409);
    expect((await crm().post('/roles', { key: 'admin', name: 'Again', grants: [] })).status).toBe(409);
  });

  it('keeps built-in roles read-only', async () => {
    const patch = await crm().patch('/roles/admin', { grants: ['pii.read'] });
    expect(patch.status).toBe(409);
    expect(patch.body.error.details).toMatchObject({ reason: 'built_in_role' });
    expect((await crm().delete('/roles/owner')).status).toBe(409);
    expect((await crm().patch('/roles/nope', { name: 'x' })).status).toBe(404);
    expect(dataOf(await crm().get('/roles/admin')).grants).toContain('users.manage');
  });

  it("changes a custom role's grants: its users' access follows on their next request", async () => {
    dataOf(await crm().post('/roles', { key: 'reader', name: 'Reader', grants: ['leads.read:own'] }), 201);
    const user = await addTestUser(t, a, { role: 'reader' });
    const me = async () =>
      dataOf(await t.request('/api/auth/me', { headers: user.headers })).user.permissions;
    expect(await me()).toEqual(['leads.read:own']);
    expect((await t.request('/api/crm/users', { headers: user.headers })).status).toBe(403);
    const changed = dataOf(
      await crm().patch('/roles/reader', { grants: ['leads.read:all', 'users.manage'], name: 'Reader+' }),
    );
    expect(changed).toMatchObject({ name: 'Reader+', userCount: 1 });
    expect(await me()).toEqual(expect.arrayContaining(['leads.read:all', 'users.manage']));
    expect((await t.request('/api/crm/users', { headers: user.headers })).status).toBe(200);
  });

  it('deletes a custom role only when no user has it', async () => {
    dataOf(await crm().post('/roles', { key: 'temp_role', name: 'Temp', grants: ['pii.read'] }), 201);
    const user = await addTestUser(t, a, { role: 'temp_role' });
    const refused = await crm().delete('/roles/temp_role');
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toMatchObject({ reason: 'role_in_use', userCount: 1 });
    dataOf(await crm().patch(`/users/${user.id}`, { role: 'viewer' }));
    expect(dataOf(await crm().delete('/roles/temp_role'))).toEqual({ key: 'temp_role', deleted: true });
    expect((await crm().get('/roles/temp_role')).status).toBe(404);
  });
});
