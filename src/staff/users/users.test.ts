import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { addTestUser } from '../../testing/staff-users.js';
import { dataOf, tenantClient } from '../../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';

const password = 'a long enough password 1';

/** `/api/crm/users`: create, invite, change, disable; the owner rules (issue 17). */
describe('users API', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('users');
  });
  afterAll(() => t?.close());

  const crm = () => t.crm(a);
  const login = (email: string, pw = password) =>
    t.request<any>('/api/auth/login', { body: { clientCode: a.tenant.clientCode, email, password: pw } });
  let counter = 0;
  const email = (what: string) => `${what}-${++counter}@Example.test`;

  it('creates an active user with a password: they log in; the view never shows the hash', async () => {
    const address = email('ana');
    const created = await crm().post('/users', { email: address, name: 'Ana', role: 'admin', password });
    const user = dataOf(created, 201);
    expect(user).toMatchObject({
      email: address.toLowerCase(),
      name: 'Ana',
      role: 'admin',
      status: 'active',
      agentId: null,
      teams: [],
      ref: expect.stringMatching(/^U-\d+$/),
    });
    expect(created.text).not.toMatch(/password|argon/i);
    expect(user).not.toHaveProperty('invitation');
    expect(dataOf(await crm().get(`/users/${user.ref}`)).id).toBe(user.id);
    expect(dataOf(await crm().get(`/users/${user.id}`)).ref).toBe(user.ref);
    expect((await login(address)).status).toBe(200);
  });

  it('refuses bad input: taken email (any case), short password, unknown role, agent or field', async () => {
    const address = email('dup');
    dataOf(await crm().post('/users', { email: address, name: 'One', role: 'viewer', password }), 201);
    const again = await crm().post('/users', { email: address.toUpperCase(), name: 'Two', role: 'viewer' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const short = await crm().post('/users', {
      email: email('s'),
      name: 'S',
      role: 'viewer',
      password: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([expect.objectContaining({ path: 'body.password' })]);
    const role = await crm().post('/users', { email: email('r'), name: 'R', role: 'wizard' });
    expect(role.status).toBe(400);
    expect(role.body.error.details).toEqual([expect.objectContaining({ path: 'body.role' })]);
    const agent = await crm().post('/users', {
      email: email('g'),
      name: 'G',
      role: 'agent',
      agentId: '00000000-0000-4000-8000-000000000000',
    });
    expect(agent.status).toBe(400);
    const extra = await crm().post('/users', { email: email('x'), name: 'X', role: 'viewer', isAdmin: true });
    expect(extra.status).toBe(400);
    const hash = await crm().post('/users', {
      email: email('h'),
      name: 'H',
      role: 'viewer',
      passwordHash: 'x',
    });
    expect(hash.status).toBe(400);
    expect((await crm().get('/users/U-999999')).status).toBe(404);
  });

  it('links one user per agent (409 for a second)', async () => {
    const agent = dataOf(await crm().post('/agents', { name: 'Linked' }), 201);
    const first = dataOf(
      await crm().post('/users', {
        email: email('l'),
        name: 'L',
        role: 'agent',
        agentId: agent.id,
        password,
      }),
      201,
    );
    expect(first.agentId).toBe(agent.id);
    const second = await crm().post('/users', {
      email: email('m'),
      name: 'M',
      role: 'agent',
      agentId: agent.id,
    });
    expect(second.status).toBe(409);
    const other = dataOf(await crm().post('/users', { email: email('n'), name: 'N', role: 'agent' }), 201);
    expect((await crm().patch(`/users/${other.id}`, { agentId: agent.id })).status).toBe(409);
  });

  it('invites a user without a password: a single-use token, stored hashed; re-sending replaces it', async () => {
    const created = dataOf(
      await crm().post('/users', { email: email('inv'), name: 'Inv', role: 'agent' }),
      201,
    );
    expect(created.status).toBe('invited');
    expect(created.invitation).toMatchObject({ delivery: 'answered', invitationToken: expect.any(String) });
    const handle = await tenantHandle(t, a.tenant.id);
    const tokens = () =>
      handle.db
        .selectFrom('user_tokens')
        .select(['token_hash', 'purpose'])
        .where('user_id', '=', created.id)
        .execute();
    const sha = (token: string) => createHash('sha256').update(token).digest('hex');
    expect(await tokens()).toEqual([
      { token_hash: sha(created.invitation.invitationToken), purpose: 'invitation' },
    ]);

    const again = dataOf(await crm().post(`/users/${created.ref}/invite`), 200);
    expect(again.invitation.invitationToken).not.toBe(created.invitation.invitationToken);
    expect(await tokens()).toEqual([
      { token_hash: sha(again.invitation.invitationToken), purpose: 'invitation' },
    ]);

    // An invited user is not made active by a PATCH, and an active one is not invited.
    expect((await crm().patch(`/users/${created.id}`, { status: 'active' })).status).toBe(409);
    const active = dataOf(
      await crm().post('/users', { email: email('act'), name: 'A', role: 'agent', password }),
      201,
    );
    const invite = await crm().post(`/users/${active.id}/invite`);
    expect(invite.status).toBe(409);
    expect(invite.body.error.code).toBe('invalid_status_transition');
  });

  it('lists users by status, role, team and name/email, paged', async () => {
    const b = await t.createTenant();
    const client = t.crm(b);
    const team = dataOf(await client.post('/teams', { name: 'North' }), 201);
    const zed = dataOf(
      await client.post('/users', {
        email: 'zed@x.test',
        name: 'Zed Quux',
        role: 'manager',
        teamIds: [team.id],
        password,
      }),
      201,
    );
    dataOf(await client.post('/users', { email: 'amy@x.test', name: 'Amy', role: 'agent' }), 201);
    dataOf(await client.post('/users', { email: 'bob@x.test', name: 'Bob', role: 'agent', password }), 201);
    const names = async (query: string) =>
      (dataOf(await client.get(`/users${query}`)).items as { name: string }[]).map((user) => user.name);
    expect(await names('')).toEqual(['Zed Quux', 'Amy', 'Bob']);
    expect(await names('?status=invited')).toEqual(['Amy']);
    expect(await names('?role=agent')).toEqual(['Amy', 'Bob']);
    expect(await names(`?teamId=${team.id}`)).toEqual(['Zed Quux']);
    expect(await names('?q=quu')).toEqual(['Zed Quux']);
    expect(await names('?q=BOB@')).toEqual(['Bob']);
    expect(await names('?q=%25')).toEqual([]);
    const page = dataOf(await client.get('/users?limit=2'));
    expect(page.items).toHaveLength(2);
    const next = dataOf(await client.get(`/users?limit=2&cursor=${page.nextCursor}`));
    expect(next.items.map((user: { name: string }) => user.name)).toEqual(['Bob']);
    expect(zed.teams).toEqual([{ id: team.id, name: 'North', isManager: false }]);
    expect((await client.get('/users?status=gone')).status).toBe(400);
  });

  it('needs users.manage: an agent is refused (403), an admin served', async () => {
    const agent = await addTestUser(t, a, { role: 'agent' });
    const asAgent = tenantClient(t.request, '/api/crm', agent.headers);
    expect((await asAgent.get('/users')).status).toBe(403);
    expect((await asAgent.post('/users', { email: email('n'), name: 'N', role: 'agent' })).status).toBe(403);
    expect((await asAgent.get('/roles')).status).toBe(403);
    expect((await asAgent.get('/teams')).status).toBe(403);
    const admin = await addTestUser(t, a, { role: 'admin' });
    expect((await tenantClient(t.request, '/api/crm', admin.headers).get('/users')).status).toBe(200);
  });

  it('disables a user: their access token is refused on the next request; enable lets them log in again', async () => {
    const admin = await addTestUser(t, a, { role: 'admin' });
    const victim = await addTestUser(t, a, { role: 'agent' });
    const asVictim = tenantClient(t.request, '/api/crm', victim.headers);
    expect((await asVictim.get('/leads')).status).toBe(200);
    const asAdmin = tenantClient(t.request, '/api/crm', admin.headers);
    const disabled = dataOf(await asAdmin.post(`/users/${victim.id}/disable`), 200);
    expect(disabled.status).toBe('disabled');
    expect((await asVictim.get('/leads')).status).toBe(401);
    expect(
      (await t.request('/api/auth/refresh', { body: { refreshToken: victim.refreshToken } })).status,
    ).toBe(401);
    expect((await login(victim.email, victim.password)).status).toBe(401);

    const enabled = dataOf(await asAdmin.post(`/users/${victim.id}/enable`), 200);
    expect(enabled.status).toBe('active');
    expect((await login(victim.email, victim.password)).status).toBe(200);
  });

  it('changes role and teams: the user’s access follows on their next request', async () => {
    const user = await addTestUser(t, a, { role: 'viewer' });
    const me = async () => dataOf(await t.request('/api/auth/me', { headers: user.headers })).user;
    expect((await me()).permissions).not.toContain('pii.read');
    const team = dataOf(await crm().post('/teams', { name: 'Role change team' }), 201);
    const changed = dataOf(
      await crm().patch(`/users/${user.id}`, { role: 'manager', teamIds: [team.id], phone: '+15550001' }),
    );
    expect(changed).toMatchObject({
      role: 'manager',
      phone: '+15550001',
      teams: [{ id: team.id, isManager: false }],
    });
    expect(await me()).toMatchObject({
      role: 'manager',
      permissions: expect.arrayContaining(['leads.read:team', 'pii.read']),
    });
    expect((await crm().patch(`/users/${user.id}`, { status: 'invited' })).status).toBe(400);
    expect((await crm().patch(`/users/${user.id}`, { email: 'new@x.test' })).status).toBe(400);
  });

  describe('owners', () => {
    it('only an owner makes an owner, or changes or disables one', async () => {
      const owner = await addTestUser(t, a, { role: 'owner' });
      const admin = await addTestUser(t, a, { role: 'admin' });
      const asAdmin = tenantClient(t.request, '/api/crm', admin.headers);
      const asOwner = tenantClient(t.request, '/api/crm', owner.headers);
      const refused = await asAdmin.post('/users', { email: email('o'), name: 'O', role: 'owner', password });
      expect(refused.status).toBe(403);
      expect((await asAdmin.patch(`/users/${admin.id}`, { role: 'owner' })).status).toBe(403);
      expect((await asAdmin.patch(`/users/${owner.id}`, { name: 'Renamed' })).status).toBe(403);
      expect((await asAdmin.post(`/users/${owner.id}/disable`)).status).toBe(403);
      const made = dataOf(
        await asOwner.post('/users', { email: email('o2'), name: 'O2', role: 'owner', password }),
        201,
      );
      expect(made.role).toBe('owner');
      expect(dataOf(await asOwner.patch(`/users/${admin.id}`, { role: 'owner' })).role).toBe('owner');
    });

    it('keeps the last active owner: not demoted, not disabled', async () => {
      const b = await t.createTenant();
      const client = t.crm(b);
      const only = dataOf(
        await client.post('/users', { email: 'own@x.test', name: 'Own', role: 'owner', password }),
        201,
      );
      const demote = await client.patch(`/users/${only.id}`, { role: 'admin' });
      expect(demote.status).toBe(409);
      expect(demote.body.message).toMatch(/last active owner/);
      expect((await client.post(`/users/${only.id}/disable`)).status).toBe(409);
      expect((await client.patch(`/users/${only.id}`, { status: 'disabled' })).status).toBe(409);
      // An invited owner is no owner yet: the active one still cannot go.
      dataOf(await client.post('/users', { email: 'inv@x.test', name: 'Inv', role: 'owner' }), 201);
      expect((await client.patch(`/users/${only.id}`, { role: 'admin' })).status).toBe(409);
      // With a second active owner, one may go.
      dataOf(await client.post('/users', { email: 'two@x.test', name: 'Two', role: 'owner', password }), 201);
      expect(dataOf(await client.patch(`/users/${only.id}`, { role: 'admin' })).role).toBe('admin');
    });

    it('lets only one of two concurrent demotions of the last two owners through', async () => {
      for (let round = 0; round < 3; round++) {
        const b = await t.createTenant();
        const client = t.crm(b);
        const owners = await Promise.all(
          ['p', 'q'].map(async (name) =>
            dataOf(
              await client.post('/users', { email: `${name}@x.test`, name, role: 'owner', password }),
              201,
            ),
          ),
        );
        const answers = await Promise.all([
          client.patch(`/users/${owners[0].id}`, { role: 'admin' }),
          client.post(`/users/${owners[1].id}/disable`),
        ]);
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
        const active = dataOf(await client.get('/users?role=owner&status=active')).items;
        expect(active).toHaveLength(1);
      }
    });
  });

  describe('agents inviting their user', () => {
    it('creates the agent and its invited user (role agent, linked) in one go', async () => {
      const answer = dataOf(
        await crm().post('/agents', { name: 'Priya', email: 'Priya@Example.test', inviteUser: true }),
        201,
      );
      expect(answer).toMatchObject({
        name: 'Priya',
        user: { id: expect.any(String), ref: expect.stringMatching(/^U-/), status: 'invited' },
        invitation: { delivery: 'answered', invitationToken: expect.any(String) },
      });
      const user = dataOf(await crm().get(`/users/${answer.user.id}`));
      expect(user).toMatchObject({
        role: 'agent',
        agentId: answer.id,
        email: 'priya@example.test',
        status: 'invited',
      });
    });

    it('needs an email, and creates nothing when the email is taken', async () => {
      const noEmail = await crm().post('/agents', { name: 'NoMail', inviteUser: true });
      expect(noEmail.status).toBe(400);
      expect(noEmail.body.error.details).toEqual([expect.objectContaining({ path: 'body.email' })]);
      const address = email('taken');
      dataOf(await crm().post('/users', { email: address, name: 'T', role: 'viewer', password }), 201);
      const taken = await crm().post('/agents', { name: 'Taken Agent', email: address, inviteUser: true });
      expect(taken.status).toBe(409);
      const agents = dataOf(await crm().get('/agents?limit=200')).items as { name: string }[];
      expect(agents.map((agent) => agent.name)).not.toContain('Taken Agent');
      // Without inviteUser an agent needs no user and PATCH knows no such field.
      const plain = dataOf(await crm().post('/agents', { name: 'Plain', email: address }), 201);
      expect(plain).not.toHaveProperty('user');
      expect((await crm().patch(`/agents/${plain.id}`, { inviteUser: true })).status).toBe(400);
    });
  });

  describe('API key acting as a user', () => {
    const admin = { authorization: `Bearer ${testAdminToken}` };

    it('acts with the user’s role, and is refused once the user is disabled', async () => {
      const b = await t.createTenant();
      const code = b.tenant.clientCode;
      const agentUser = dataOf(
        await t
          .crm(b)
          .post('/users', { email: 'key-agent@x.test', name: 'Key Agent', role: 'agent', password }),
        201,
      );
      const key = dataOf(
        await t.request(`/api/platform/tenants/${code}/keys`, {
          headers: admin,
          body: { label: 'bot', scopes: ['crm'] },
        }),
        201,
      );
      const asKey = tenantClient(t.request, '/api/crm', { 'x-client-code': code, 'x-api-key': key.apiKey });
      expect((await asKey.get('/users')).status).toBe(200);

      const unknown = await t.request(`/api/platform/tenants/${code}/keys/${key.id}`, {
        method: 'PATCH',
        headers: admin,
        body: { actsAsUserId: '00000000-0000-4000-8000-000000000000' },
      });
      expect(unknown.status).toBe(400);
      const bad = await t.request(`/api/platform/tenants/${code}/keys/${key.id}`, {
        method: 'PATCH',
        headers: admin,
        body: { actsAsUserId: agentUser.id, label: 'x' },
      });
      expect(bad.status).toBe(400);
      const patched = await t.request<any>(`/api/platform/tenants/${code}/keys/${key.id}`, {
        method: 'PATCH',
        headers: admin,
        body: { actsAsUserId: agentUser.id },
      });
      expect(dataOf(patched).actsAsUserId).toBe(agentUser.id);
      const details = dataOf(await t.request(`/api/platform/tenants/${code}`, { headers: admin }));
      expect(details.apiKeys.find((k: { id: string }) => k.id === key.id).actsAsUserId).toBe(agentUser.id);

      // Acting as an agent: no users.manage any more.
      await expect.poll(async () => (await asKey.get('/users')).status).toBe(403);
      expect((await asKey.get('/leads')).status).toBe(200);

      dataOf(await t.crm(b).post(`/users/${agentUser.id}/disable`), 200);
      expect((await asKey.get('/leads')).status).toBe(401);

      // Back to acting as the tenant.
      dataOf(
        await t.request(`/api/platform/tenants/${code}/keys/${key.id}`, {
          method: 'PATCH',
          headers: admin,
          body: { actsAsUserId: null },
        }),
      );
      await expect.poll(async () => (await asKey.get('/users')).status).toBe(200);
    });
  });
});
