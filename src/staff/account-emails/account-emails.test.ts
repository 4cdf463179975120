import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeQuotedPrintable, startSmtpSink } from '../../testing/smtp-sink.js';
import { addTestUser } from '../../testing/staff-users.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';
import { inviteUser } from '../invitations/invite-user.js';
import { insertUser } from '../users/user.repository.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const actor = { type: 'system' as const, id: null, name: 'Ada Admin' };

/** Invitations and password resets: single-use emailed tokens (issue 17). */
describe('account emails', () => {
  let t: TestApp;
  let bare: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  /** With its own SMTP channel. */
  let acme: TestTenant;
  /** Without one: the platform's SMTP server carries its emails. */
  let plain: TestTenant;

  beforeAll(async () => {
    smtp = await startSmtpSink({ user: 'mailer', password: 'right-password' });
    t = await startTestApp({
      PUBLIC_BASE_URL: 'https://crm.example.test',
      PLATFORM_SMTP_URL: `smtp://mailer:right-password@127.0.0.1:${smtp.port}`,
      PLATFORM_SMTP_FROM: 'accounts@switchyard.test',
    });
    acme = await t.createTenant('acme');
    plain = await t.createTenant('plain');
    const secret = await t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: admin,
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'mailer',
        password: 'right-password',
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
    expect(secret.status).toBe(200);
    // No SMTP anywhere.
    bare = await startTestApp({ PUBLIC_BASE_URL: 'https://crm.example.test' });
    // Two apps and a tenant's migrations: minutes on a loaded machine.
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await bare?.close();
    await smtp?.close();
  });

  const handleOf = async (app: TestApp, tenant: TestTenant) =>
    app.app.services.connections.resolve(
      (await findTenantByCode(app.app.services.platform, tenant.tenant.clientCode))!,
    );
  const invitedUser = async (app: TestApp, tenant: TestTenant, email: string) => {
    const handle = await handleOf(app, tenant);
    const { id } = await insertUser(handle.db, {
      email,
      name: 'New Person',
      roleKey: 'agent',
      status: 'invited',
    });
    return { handle, id };
  };
  /** The mail to `to` that arrived, once it has. */
  const mailTo = async (to: string) =>
    vi.waitFor(
      () => {
        const mail = smtp.received.findLast((received) => received.to.includes(to));
        if (!mail) throw new Error(`no mail to ${to} yet`);
        return { ...mail, text: decodeQuotedPrintable(mail.raw) };
      },
      { timeout: 90_000, interval: 50 },
    );
  const tokenIn = (text: string, prefix: string) =>
    new RegExp(`${prefix}_[0-9a-f-]{36}\\.[A-Za-z0-9_-]+`).exec(text)![0];
  const accept = (app: TestApp, body: unknown) => app.request<any>('/api/auth/invitations/accept', { body });

  it('emails an invitation through the tenant channel; accepting it activates and logs in, once', async () => {
    const email = 'invitee@acme.test';
    const { handle, id } = await invitedUser(t, acme, email);
    expect(await inviteUser(t.app.services, handle, id, actor)).toEqual({ delivery: 'email' });
    const mail = await mailTo(email);
    expect(mail.from).toBe('sales@acme.test');
    expect(mail.text).toContain('Ada Admin invited you');
    const token = tokenIn(mail.text, 'inv');
    expect(mail.text).toContain(
      `https://crm.example.test/accept-invitation?token=${encodeURIComponent(token)}`,
    );
    // Only the hash is stored.
    const stored = await handle.db.selectFrom('user_tokens').selectAll().where('user_id', '=', id).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1]);

    const weak = await accept(t, { token, password: 'qwertyuiop' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body.password' }],
    });

    const accepted = await accept(t, { token, password: 'my own good passphrase', name: 'Ines Invitee' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.data.user).toMatchObject({ id, name: 'Ines Invitee', email });
    const me = await t.request<any>('/api/auth/me', {
      headers: { authorization: `Bearer ${accepted.body.data.accessToken}` },
    });
    expect(me.status).toBe(200);
    const user = await handle.db
      .selectFrom('users')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(user.status).toBe('active');

    const again = await accept(t, { token, password: 'my own good passphrase' });
    expect(again.status).toBe(401);
    expect(again.body.error.details).toEqual({ reason: 'token_used' });
    const login = await t.request('/api/auth/login', {
      body: { clientCode: acme.tenant.clientCode, email, password: 'my own good passphrase' },
    });
    expect(login.status).toBe(200);
  });

  it('replaces an earlier invitation, refuses an expired one, and uses the platform SMTP without a tenant channel', async () => {
    const email = 'twice@plain.test';
    const { handle, id } = await invitedUser(t, plain, email);
    await inviteUser(t.app.services, handle, id, actor);
    const first = tokenIn((await mailTo(email)).text, 'inv');
    const before = smtp.received.length;
    await inviteUser(t.app.services, handle, id, actor);
    await vi.waitFor(() => expect(smtp.received.length).toBeGreaterThan(before));
    const mail = await mailTo(email);
    expect(mail.from).toBe('accounts@switchyard.test');
    const second = tokenIn(mail.text, 'inv');
    expect(second).not.toBe(first);
    expect(
      (await accept(t, { token: first, password: 'my own good passphrase' })).body.error.details,
    ).toEqual({
      reason: 'token_unknown',
    });
    await handle.db
      .updateTable('user_tokens')
      .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
      .where('user_id', '=', id)
      .execute();
    const expired = await accept(t, { token: second, password: 'my own good passphrase' });
    expect(expired.status).toBe(401);
    expect(expired.body.error.details).toEqual({ reason: 'token_expired' });
    expect((await accept(t, { token: 'inv_nonsense', password: 'my own good passphrase' })).status).toBe(401);
  });

  it('answers the invitation token to the admin when no email can go out', async () => {
    const bareTenant = await bare.createTenant('bare');
    const { handle, id } = await invitedUser(bare, bareTenant, 'handed@bare.test');
    const invited = await inviteUser(bare.app.services, handle, id, actor);
    expect(invited).toMatchObject({ delivery: 'answered', invitationToken: expect.stringMatching(/^inv_/) });
    if (invited.delivery !== 'answered') throw new Error('unreachable');
    expect(new Date(invited.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const accepted = await accept(bare, {
      token: invited.invitationToken,
      password: 'my own good passphrase',
    });
    expect(accepted.status).toBe(200);
    // An active user cannot be invited again.
    await expect(inviteUser(bare.app.services, handle, id, actor)).rejects.toMatchObject({
      code: 'invalid_status_transition',
    });
  });

  it('resets a password by email: always 202, single use, every session ends', async () => {
    const user = await addTestUser(t, acme, { role: 'agent', email: 'forgetful@acme.test' });
    const second = await addTestUser(t, acme, { role: 'agent' });
    const elsewhere = await t.request<any>('/api/auth/login', {
      body: { clientCode: acme.tenant.clientCode, email: user.email, password: user.password },
    });
    const ask = (body: unknown) => t.request<any>('/api/auth/password-reset', { body });
    const unknown = await ask({ clientCode: acme.tenant.clientCode, email: 'nobody@acme.test' });
    const noTenant = await ask({ clientCode: 'no-such-tenant', email: user.email });
    const known = await ask({ clientCode: acme.tenant.clientCode, email: user.email.toUpperCase() });
    for (const answer of [unknown, noTenant, known]) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual(known.body);
    }
    const mail = await mailTo(user.email);
    expect(mail.raw).not.toContain(second.email);
    const token = tokenIn(mail.text, 'pwr');
    expect(mail.text).toContain(`https://crm.example.test/reset-password?token=${encodeURIComponent(token)}`);

    const confirm = (body: unknown) => t.request<any>('/api/auth/password-reset/confirm', { body });
    const tooShort = await confirm({ token, password: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.details[0]).toMatchObject({ path: 'body.password' });
    const done = await confirm({ token, password: 'a fresh new passphrase' });
    expect(done.status).toBe(200);
    for (const accessToken of [user.accessToken, elsewhere.body.data.accessToken]) {
      expect(
        (await t.request('/api/crm/leads', { headers: { authorization: `Bearer ${accessToken}` } })).status,
      ).toBe(401);
    }
    expect((await confirm({ token, password: 'another new passphrase' })).body.error.details).toEqual({
      reason: 'token_used',
    });
    const login = (password: string) =>
      t.request('/api/auth/login', {
        body: { clientCode: acme.tenant.clientCode, email: user.email, password },
      });
    expect((await login(user.password)).status).toBe(401);
    expect((await login('a fresh new passphrase')).status).toBe(200);
    // Another user's sessions are untouched.
    expect((await t.request('/api/crm/leads', { headers: second.headers })).status).toBe(200);
  });

  it('without an email channel, a reset is only logged, without the token, and issues none', async () => {
    const bareTenant = await bare.createTenant('bare2');
    const user = await addTestUser(bare, bareTenant, { role: 'agent' });
    const answer = await bare.request<any>('/api/auth/password-reset', {
      body: { clientCode: bareTenant.tenant.clientCode, email: user.email },
    });
    expect(answer.status).toBe(202);
    const line = await vi.waitFor(
      () => {
        const found = bare.logs.find(
          (log) => log.userId === user.id && /password reset requested/.test(String(log.msg)),
        );
        if (!found) throw new Error('not logged yet');
        return found;
      },
      { timeout: 90_000, interval: 50 },
    );
    expect(line.level).toBe(40);
    expect(JSON.stringify(bare.logs)).not.toMatch(/pwr_/);
    const handle = await handleOf(bare, bareTenant);
    const tokens = await handle.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(tokens).toEqual([]);
  });
});
