import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker, waitForIdle } from '../testing/job-queue.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { decodeQuotedPrintable, startSmtpSink } from '../testing/smtp-sink.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { renderTemplate } from './render-template.js';
import { smtpTransportsOf } from './smtp-transports.js';
import { sendEmailJob } from './email.jobs.js';
import { unsubscribeUrl } from './send-email.job.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
/** What a mail client sends for RFC 8058 one-click unsubscribe (and the confirmation page's form). */
const oneClick = {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'List-Unsubscribe=One-Click',
};
/** The secrets key before the last rotation, still configured in SECRETS_KEYS_PREVIOUS. */
const previousKey = randomBytes(32);

describe('email', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let acme: TestTenant;
  let worker: JobWorker;
  let templateId: string;

  const setSmtp = (password: string) =>
    t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: admin,
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'mailer',
        password,
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
  const sendOne = async (to: string, variables: Record<string, unknown> = {}) => {
    const queued = await t.crm(acme).post('/email/messages', { to, templateId, variables });
    expect(queued.status).toBe(202);
    const job = (await waitForIdle(t, acme.tenant.id)).find(
      (row) => (row.payload as { messageId: string }).messageId === queued.body.data.id,
    )!;
    expect(job.kind).toBe(sendEmailJob.kind);
    const message = await t.crm(acme).get(`/email/messages/${queued.body.data.id}`);
    return { job, message: message.body.data };
  };

  beforeAll(async () => {
    smtp = await startSmtpSink({
      user: 'mailer',
      password: 'right-password',
      rejectRecipients: ['ghost@example.test'],
    });
    t = await startTestApp({
      PUBLIC_BASE_URL: 'https://crm.example.test',
      ROLE: 'web',
      SECRETS_KEYS_PREVIOUS: previousKey.toString('base64'),
    });
    worker = await startWorker(t, [sendEmailJob]);
    acme = await t.createTenant('acme');
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await smtp?.close();
  });

  it('renders variables, escaping them in HTML', () => {
    expect(renderTemplate('Hi {{ lead.firstName }}{{missing}}!', { lead: { firstName: 'Jo' } })).toBe(
      'Hi Jo!',
    );
    expect(renderTemplate('<b>{{name}}</b>', { name: '<script>' }, true)).toBe('<b>&#60;script&#62;</b>');
  });

  it('answers 409 for the test email before SMTP is configured, then sends it through the real server', async () => {
    const missing = await t.crm(acme).post('/email/test', { to: 'owner@acme.test' });
    expect(missing.status).toBe(409);
    expect(missing.body.error.code).toBe('channel_not_configured');
    expect((await setSmtp('right-password')).status).toBe(200);

    const res = await t.crm(acme).post('/email/test', { to: 'owner@acme.test' });
    expect(res.status).toBe(200);
    expect(res.body.data.accepted).toEqual(['owner@acme.test']);
    const mail = smtp.received.at(-1)!;
    expect(mail).toMatchObject({ from: 'sales@acme.test', to: ['owner@acme.test'], user: 'mailer' });
    expect(mail.raw).toContain('From: Acme Sales <sales@acme.test>');
    expect(mail.raw).toContain('Subject: Switchyard test email for Tenant acme');
  });

  it('reports an authentication failure, and rebuilds the transport when the secret changes', async () => {
    const transports = smtpTransportsOf(t.app.services);
    const first = await transports.forTenant(acme.tenant.id);
    expect(await transports.forTenant(acme.tenant.id)).toBe(first);

    await setSmtp('wrong-password');
    const res = await t.crm(acme).post('/email/test', { to: 'owner@acme.test' });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'smtp_error', details: { authFailed: true } });
    expect(res.body.error.details.response).toMatch(/535/);
    expect(await transports.forTenant(acme.tenant.id)).not.toBe(first);

    await setSmtp('right-password');
    expect((await t.crm(acme).post('/email/test', { to: 'owner@acme.test' })).status).toBe(200);
  });

  it('manages templates with validation', async () => {
    const invalid = await t.crm(acme).post('/email/templates', { name: 'x' });
    expect(invalid.status).toBe(400);
    const created = await t.crm(acme).post('/email/templates', {
      name: 'Welcome',
      subject: 'Welcome, {{firstName}}',
      html: '<p>Hello {{firstName}} from {{company}}</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
      text: 'Hello {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
    });
    expect(created.status).toBe(201);
    expect(created.body.data.variables).toEqual(['company', 'firstName', 'unsubscribeUrl']);
    templateId = created.body.data.id;
    const duplicate = await t
      .crm(acme)
      .post('/email/templates', { name: 'Welcome', subject: 's', html: 'h' });
    expect(duplicate.status).toBe(409);
    const patched = await t
      .crm(acme)
      .patch(`/email/templates/${templateId}`, { subject: 'Welcome aboard, {{firstName}}' });
    expect(patched.body.data.subject).toBe('Welcome aboard, {{firstName}}');
    expect(patched.body.data.text).toBe('Hello {{firstName}}. Unsubscribe: {{unsubscribeUrl}}');
    const other = await t.crm(acme).post('/email/templates', { name: 'Temp', subject: 's', html: 'h' });
    expect((await t.crm(acme).delete(`/email/templates/${other.body.data.id}`)).status).toBe(200);
    expect((await t.crm(acme).get(`/email/templates/${other.body.data.id}`)).status).toBe(404);
    expect((await t.crm(acme).get('/email/templates')).body.data.items).toHaveLength(1);
  });

  it('sends per recipient with an unsubscribe link that suppresses the address', async () => {
    const { job, message } = await sendOne('Lead@Example.test', { firstName: 'Jo', company: 'Acme & Co' });
    expect(job).toMatchObject({ status: 'succeeded', result: { status: 'sent' } });
    expect(message).toMatchObject({ status: 'sent', to: 'Lead@Example.test' });
    expect(message.smtpResponse).toMatch(/^250/);
    const mail = smtp.received.at(-1)!;
    expect(mail.to.map((to) => to.toLowerCase())).toEqual(['lead@example.test']);
    expect(mail.raw).toContain('Subject: Welcome aboard, Jo');
    const body = decodeQuotedPrintable(mail.raw);
    expect(body).toContain('Hello Jo from Acme &#38; Co');
    const link = /List-Unsubscribe:\s+<(https:\/\/crm\.example\.test\/u\/[\w.-]+)>/.exec(mail.raw)?.[1];
    expect(link).toBeDefined();
    expect(body).toContain(`href="${link}"`);
    expect(mail.raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(body).toContain(`Hello Jo. Unsubscribe: ${link}`);

    const path = new URL(link!).pathname;
    expect((await t.request(path.slice(0, -3) + 'xyz')).status).toBe(404);
    // A mail scanner checking the link, or a person opening it, only sees the confirmation.
    const suppressionsNow = async () => (await t.crm(acme).get('/email/suppressions')).body.data.items;
    expect((await t.request(path, { method: 'HEAD' })).status).toBe(200);
    expect(await suppressionsNow()).toEqual([]);
    const confirmation = await t.request(path);
    expect(confirmation.status).toBe(200);
    expect(await suppressionsNow()).toEqual([]);
    expect(confirmation.text).toMatch(/<form method="post">/);
    expect(confirmation.text).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');

    const unsubscribed = await t.request(path, oneClick);
    expect(unsubscribed.status).toBe(200);
    expect(unsubscribed.text).toContain('lead@example.test will no longer receive emails');
    const suppressions = await t.crm(acme).get('/email/suppressions');
    expect(suppressions.body.data.items).toMatchObject([
      { address: 'lead@example.test', reason: 'unsubscribed' },
    ]);

    const before = smtp.received.length;
    const again = await sendOne('lead@example.test', { firstName: 'Jo' });
    expect(again.job).toMatchObject({ status: 'succeeded', result: { status: 'suppressed' } });
    expect(again.message.status).toBe('suppressed');
    expect(smtp.received.length).toBe(before);
  });

  it('honours links signed with a previous secrets key after a rotation', async () => {
    /** The link a server with this secrets key put in its emails. */
    const linkSignedWith = (currentKey: Buffer, address: string) => {
      const config = { ...t.app.services.config, secrets: { currentKey, previousKeys: [] } };
      return new URL(unsubscribeUrl({ config }, 'acme', address)).pathname;
    };
    expect((await t.request(linkSignedWith(previousKey, 'rotated@example.test'), oneClick)).status).toBe(200);
    const { db } = await tenantHandle(t, acme.tenant.id);
    const suppressed = await db
      .selectFrom('email_suppressions')
      .select('reason')
      .where('address', '=', 'rotated@example.test')
      .executeTakeFirst();
    expect(suppressed).toEqual({ reason: 'unsubscribed' });

    const retired = linkSignedWith(randomBytes(32), 'retired@example.test');
    expect((await t.request(retired, oneClick)).status).toBe(404);
  });

  it('records a rejected recipient with the SMTP response and suppresses it as bounced', async () => {
    const { job, message } = await sendOne('ghost@example.test', { firstName: 'Nobody' });
    expect(job).toMatchObject({ status: 'dead', attempts: 1 });
    expect(message.status).toBe('failed');
    expect(message.smtpResponse).toMatch(/550/);
    const { db } = await tenantHandle(t, acme.tenant.id);
    expect(
      await db
        .selectFrom('email_suppressions')
        .select('reason')
        .where('address', '=', 'ghost@example.test')
        .executeTakeFirst(),
    ).toEqual({
      reason: 'bounced',
    });
  });

  it('marks a message failed with the reason when its last attempt fails, never queued forever', async () => {
    const queued = await t
      .crm(acme)
      .post('/email/messages', { to: 'late@example.test', templateId, variables: {} });
    expect(queued.status).toBe(202);
    // The worker's first attempt may run meanwhile; the SMTP server is up, so stop it first.
    await worker.stop();
    const unreachable = await startSmtpSink({ user: 'mailer', password: 'right-password' });
    await unreachable.close();
    const { db } = await tenantHandle(t, acme.tenant.id);
    await db
      .updateTable('email_messages')
      // Back to never started: the worker's first attempt may have handed it to SMTP already.
      .set({ status: 'queued', send_started_at: null })
      .where('id', '=', queued.body.data.id)
      .execute();
    await t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: admin,
      body: {
        host: '127.0.0.1',
        port: unreachable.port,
        secure: false,
        user: 'mailer',
        password: 'right-password',
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
    const payload = { messageId: queued.body.data.id };
    // Not the last attempt: retried later, still queued.
    await expect(runJob(t, sendEmailJob, acme.tenant.id, payload, 1)).rejects.toThrow();
    const message = () => t.crm(acme).get(`/email/messages/${queued.body.data.id}`);
    expect((await message()).body.data.status).toBe('queued');
    await expect(
      runJob(t, sendEmailJob, acme.tenant.id, payload, sendEmailJob.maxAttempts),
    ).rejects.toThrow();
    expect((await message()).body.data).toMatchObject({ status: 'failed', smtpResponse: expect.any(String) });
    expect((await message()).body.data.smtpResponse).not.toBe('');
  });
});
