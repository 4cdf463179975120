import { hash } from '@node-rs/argon2';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestUser } from '../../testing/staff-users.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';
import { insertUser } from '../users/user.repository.js';

/** Lockout, password policy on change, Argon2 re-hash and refresh cookies (issue 17). */
describe('login abuse and passwords', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({
      AUTH_LOGIN_MAX_FAILURES: '3',
      AUTH_LOGIN_ADDRESS_MAX_FAILURES: '5',
      AUTH_LOCKOUT_SECONDS: '600',
      // Each test comes from its own address (X-Forwarded-For), so address counts stay apart.
      TRUST_PROXY: 'true',
    });
    a = await t.createTenant('abuse');
  }, 180_000);
  afterAll(() => t?.close());

  const login = (email: string, password: string, address: string) =>
    t.request<any>('/api/auth/login', {
      headers: { 'x-forwarded-for': address },
      body: { clientCode: a.tenant.clientCode, email, password },
    });
  const handle = async () =>
    t.app.services.connections.resolve(
      (await findTenantByCode(t.app.services.platform, a.tenant.clientCode))!,
    );

  it('locks an account after repeated failures, even against the right password, with Retry-After', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    for (let i = 0; i < 3; i++)
      expect((await login(user.email, 'wrong password 1', '10.0.1.1')).status).toBe(401);
    const lockedOut = await login(user.email, user.password, '10.0.1.1');
    expect(lockedOut.status).toBe(429);
    expect(lockedOut.body.error).toMatchObject({ code: 'rate_limited', details: { reason: 'login_locked' } });
    expect(Number(lockedOut.headers.get('retry-after'))).toBeGreaterThan(0);
    // The account, not the address: from elsewhere it is locked too.
    expect((await login(user.email, user.password, '10.0.1.2')).status).toBe(429);
  });

  it('locks an unknown account exactly as a known one', async () => {
    const known = await addTestUser(t, a, { role: 'agent' });
    const answers = [];
    for (const [n, email] of [known.email, 'nobody-here@example.test'].entries()) {
      for (let i = 0; i < 3; i++)
        expect((await login(email, 'wrong password 1', `10.0.2.${n}`)).status).toBe(401);
      answers.push(await login(email, 'wrong password 1', '10.0.2.9'));
    }
    for (const answer of answers) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBeTruthy();
    }
    const shape = (body: any) => ({
      ...body,
      error: { ...body.error, details: { ...body.error.details, retryAfterSeconds: 0 } },
    });
    expect(shape(answers[1]!.body)).toEqual(shape(answers[0]!.body));
  });

  it("clears an account's failures at a successful login", async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    for (let i = 0; i < 2; i++)
      expect((await login(user.email, 'wrong password 1', '10.0.3.1')).status).toBe(401);
    expect((await login(user.email, user.password, '10.0.3.1')).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await login(user.email, 'wrong password 1', '10.0.3.1')).status).toBe(401);
    expect((await login(user.email, user.password, '10.0.3.1')).status).toBe(200);
  });

  it('doubles the lock with each failure after one ends', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    for (let i = 0; i < 3; i++) await login(user.email, 'wrong password 1', '10.0.4.1');
    const first = Number((await login(user.email, user.password, '10.0.4.1')).headers.get('retry-after'));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(600);
    // The lock ended (moved into the past); one more failure locks for twice as long.
    await t.app.services.platform
      .updateTable('login_failures')
      .set({ locked_until: sql<Date>`now() - interval '1 second'` })
      .where('key', 'like', `account:%:${user.email}`)
      .execute();
    expect((await login(user.email, 'wrong password 1', '10.0.4.1')).status).toBe(401);
    const second = Number((await login(user.email, user.password, '10.0.4.1')).headers.get('retry-after'));
    expect(second).toBeGreaterThan(600);
    expect(second).toBeLessThanOrEqual(1200);
  });

  it('locks a client address guessing at many accounts', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    for (let i = 0; i < 5; i++) {
      expect((await login(`guess-${i}@example.test`, 'wrong password 1', '10.0.5.1')).status).toBe(401);
    }
    const fromThere = await login(user.email, user.password, '10.0.5.1');
    expect(fromThere.status).toBe(429);
    expect((await login(user.email, user.password, '10.0.5.2')).status).toBe(200);
  });

  it('re-hashes a password stored with weaker Argon2 parameters at login', async () => {
    const { db } = await handle();
    const password = 'an old but decent password';
    const weak = await hash(password, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const email = 'weak-hash@example.test';
    const { id } = await insertUser(db, {
      email,
      name: 'Weak',
      roleKey: 'agent',
      status: 'active',
      passwordHash: weak,
    });
    expect((await login(email, password, '10.0.6.1')).status).toBe(200);
    const stored = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).not.toBe(weak);
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(email, password, '10.0.6.1')).status).toBe(200);
  });

  it('changes the password: other sessions end, this one stays; the policy and the current password apply', async () => {
    const here = await addTestUser(t, a, { role: 'agent' });
    const elsewhere = await login(here.email, here.password, '10.0.7.1');
    expect(elsewhere.status).toBe(200);
    const change = (body: unknown) =>
      t.request<any>('/api/auth/password', {
        headers: { ...here.headers, 'x-forwarded-for': '10.0.7.2' },
        body,
      });

    const common = await change({ currentPassword: here.password, newPassword: 'password123' });
    expect(common.status).toBe(400);
    expect(common.body.error.code).toBe('validation_failed');
    expect(common.body.error.details).toEqual([
      { path: 'body.newPassword', message: expect.stringMatching(/most common passwords/) },
    ]);
    const short = await change({ currentPassword: here.password, newPassword: 'short1' });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0].message).toMatch(/at least 10 characters/);
    const wrong = await change({ currentPassword: 'not my password', newPassword: 'a brand new passphrase' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[0].path).toBe('body.currentPassword');
    expect(
      (
        await t.request('/api/auth/password', {
          body: { currentPassword: 'x', newPassword: 'a brand new passphrase' },
        })
      ).status,
    ).toBe(401);

    const changed = await change({ currentPassword: here.password, newPassword: 'a brand new passphrase' });
    expect(changed.status).toBe(200);
    expect((await t.request('/api/crm/leads', { headers: here.headers })).status).toBe(200);
    const other = { authorization: `Bearer ${elsewhere.body.data.accessToken}` };
    expect((await t.request('/api/crm/leads', { headers: other })).status).toBe(401);
    expect(
      (await t.request('/api/auth/refresh', { body: { refreshToken: elsewhere.body.data.refreshToken } }))
        .status,
    ).toBe(401);
    expect((await login(here.email, here.password, '10.0.7.3')).status).toBe(401);
    expect((await login(here.email, 'a brand new passphrase', '10.0.7.3')).status).toBe(200);
  });
});

describe('refresh-token cookie (AUTH_COOKIES=true)', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_COOKIES: 'true' });
    a = await t.createTenant('cookies');
  }, 180_000);
  afterAll(() => t?.close());

  const cookieOf = (headers: Headers) => {
    const setCookie = headers.getSetCookie().find((line) => line.startsWith('sy_refresh='));
    expect(setCookie).toBeDefined();
    return setCookie!;
  };

  it('sets the refresh token as an HttpOnly cookie, and refresh and logout read it', async () => {
    const user = await addTestUser(t, a, { role: 'agent' });
    const login = await t.request<any>('/api/auth/login', {
      body: { clientCode: a.tenant.clientCode, email: user.email, password: user.password },
    });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login.headers);
    expect(cookie).toContain(`sy_refresh=${encodeURIComponent(login.body.data.refreshToken)}`);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/api/auth']) {
      expect(cookie).toContain(attribute);
    }

    const send = (path: string, token: string) =>
      t.request<any>(path, {
        headers: { cookie: `other=1; sy_refresh=${encodeURIComponent(token)}` },
        body: {},
      });
    const refreshed = await send('/api/auth/refresh', login.body.data.refreshToken);
    expect(refreshed.status).toBe(200);
    const next = refreshed.body.data.refreshToken;
    expect(next).not.toBe(login.body.data.refreshToken);
    expect(cookieOf(refreshed.headers)).toContain(`sy_refresh=${encodeURIComponent(next)}`);

    const out = await send('/api/auth/logout', next);
    expect(out.status).toBe(200);
    expect(cookieOf(out.headers)).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await send('/api/auth/refresh', next)).status).toBe(401);
    expect(
      (
        await t.request('/api/crm/leads', {
          headers: { authorization: `Bearer ${refreshed.body.data.accessToken}` },
        })
      ).status,
    ).toBe(401);
  });
});
