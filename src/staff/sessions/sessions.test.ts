import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestUser } from '../../testing/staff-users.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';

/** Logins, access tokens on tenant routes, refresh-token rotation and families (issue 17). */
describe('staff sessions', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    // A wide grace window: 100 refreshes queued on a loaded machine must all fall inside it.
    t = await startTestApp({ AUTH_REFRESH_GRACE_MS: '60000' });
    a = await t.createTenant('sessions');
  });
  afterAll(() => t?.close());

  const refresh = (refreshToken: string) => t.request<any>('/api/auth/refresh', { body: { refreshToken } });
  const leadsWith = (accessToken: string) =>
    t.request<any>('/api/crm/leads', { headers: { authorization: `Bearer ${accessToken}` } });

  it('logs in and calls tenant routes with the access token', async () => {
    const admin = await addTestUser(t, a, { role: 'admin' });
    const leads = await leadsWith(admin.accessToken);
    expect(leads.status).toBe(200);
    const me = await t.request<any>('/api/auth/me', { headers: admin.headers });
    expect(me.status).toBe(200);
    expect(me.body.data.user).toMatchObject({
      id: admin.id,
      role: 'admin',
      ref: expect.stringMatching(/^U-\d+$/),
    });
    expect(me.body.data.user.permissions).toContain('leads.read:all');
    expect(me.body.data.tenant.clientCode).toBe(a.tenant.clientCode);
  });

  it('answers an unknown email, an unknown tenant and a wrong password with the same 401', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const attempts = [
      { clientCode: a.tenant.clientCode, email: user.email, password: 'wrong password 123' },
      { clientCode: a.tenant.clientCode, email: 'nobody@example.test', password: user.password },
      { clientCode: 'no-such-tenant', email: user.email, password: user.password },
    ];
    const answers = await Promise.all(attempts.map((body) => t.request<any>('/api/auth/login', { body })));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]!.body);
    }
  });

  it('rotates the refresh token: the old one is spent, the new one works', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body.data.refreshToken).not.toBe(user.refreshToken);
    expect((await leadsWith(first.body.data.accessToken)).status).toBe(200);
    const second = await refresh(first.body.data.refreshToken);
    expect(second.status).toBe(200);
  });

  it('gives 100 concurrent refreshes of one token the same successor, and loses no session', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const answers = await Promise.all(Array.from({ length: 100 }, () => refresh(user.refreshToken)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    const successors = new Set(answers.map((answer) => answer.body.data.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect((await refresh(successor!)).status).toBe(200);
  });

  it('revokes the whole family when a rotated token comes back after the grace window', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const next = await refresh(user.refreshToken);
    expect(next.status).toBe(200);
    // The rotation an hour ago: past any grace window.
    await t.app.services.platform
      .updateTable('refresh_tokens')
      .set({ rotated_at: sql<Date>`now() - interval '1 hour'` })
      .where('rotated_at', 'is not', null)
      .execute();
    const replay = await refresh(user.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.error.details).toMatchObject({ reason: 'refresh_token_reused' });
    // The newest token of the family and its access token are dead too.
    expect((await refresh(next.body.data.refreshToken)).status).toBe(401);
    expect((await leadsWith(next.body.data.accessToken)).status).toBe(401);
  });

  it('ends the session at logout: its access token is refused on the next request', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    expect((await leadsWith(user.accessToken)).status).toBe(200);
    const out = await t.request<any>('/api/auth/logout', { headers: user.headers, body: {} });
    expect(out.status).toBe(200);
    expect((await leadsWith(user.accessToken)).status).toBe(401);
    expect((await refresh(user.refreshToken)).status).toBe(401);
  });

  it('refuses a token signed with another key or for another audience', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const [header, payload] = user.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    expect((await leadsWith(forged)).status).toBe(401);
    expect((await leadsWith('not-a-jwt')).status).toBe(401);
  });

  it("refuses a user's token on the next request once their tenant is suspended, and again after resume", async () => {
    const other = await t.createTenant('suspendable');
    const user = await addTestUser(t, other, { role: 'admin' });
    expect((await leadsWith(user.accessToken)).status).toBe(200);
    const admin = { authorization: `Bearer ${testAdminToken}` };
    const code = other.tenant.clientCode;
    expect(
      (await t.request(`/api/platform/tenants/${code}/suspend`, { method: 'POST', headers: admin })).status,
    ).toBe(200);
    const refused = await leadsWith(user.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await refresh(user.refreshToken)).status).toBe(403);
    expect(
      (await t.request(`/api/platform/tenants/${code}/resume`, { method: 'POST', headers: admin })).status,
    ).toBe(200);
    expect((await leadsWith(user.accessToken)).status).toBe(200);
  });
});
