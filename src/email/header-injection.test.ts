import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEmailActionJob } from '../automations/automations.jobs.js';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker, waitForIdle } from '../testing/job-queue.js';
import { startSmtpSink, type ReceivedMail } from '../testing/smtp-sink.js';
import { dataOf } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { expandCampaignJob, sendEmailJob } from './email.jobs.js';

/** What a tenant's data may carry to try to add headers (or recipients) to an email (issue 15). */
const injection =
  'Eve\r\nBcc: evil@example.test\r\nX-Injected: yes\nCc: evil2@example.test\rTo: evil3@example.test';

/** The header block of a raw message, unfolded: one entry per header, `[name, value]`. */
function headersOf(raw: string): [string, string][] {
  const block = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const unfolded = block.replace(/\r\n[ \t]+/g, ' ');
  return unfolded.split('\r\n').map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  });
}

/** The message went to `to` alone, with exactly the headers we set: nothing the data carried became one. */
function expectNoInjectedHeader(mail: ReceivedMail, to: string) {
  expect(mail.to).toEqual([to]);
  const headers = headersOf(mail.raw);
  const names = headers.map(([name]) => name);
  expect(names).not.toContain('bcc');
  expect(names).not.toContain('cc');
  expect(names).not.toContain('x-injected');
  expect(headers.filter(([name]) => name === 'to')).toEqual([['to', to]]);
  // The data did reach the subject (this is not a message that merely left it out), on one line.
  const subjects = headers.filter(([name]) => name === 'subject');
  expect(subjects).toHaveLength(1);
  expect(subjects[0]![1]).toContain('Bcc: evil@example.test');
  // A bare CR or LF inside the header block would be a line break to some mail servers.
  const block = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
  expect(block.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
}

describe('email header injection (tried and held)', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: JobWorker;
  let acme: TestTenant;
  let phone = 0;

  /** The messages that reached the sink for an address, with what it received for anyone else. */
  const mailTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));
  const evil = () =>
    smtp.received.filter((mail) => mail.to.some((address) => address.startsWith('evil'))).length;

  beforeAll(async () => {
    smtp = await startSmtpSink({ user: 'mailer', password: 'secret' });
    t = await startTestApp({ ROLE: 'web', PUBLIC_BASE_URL: 'https://crm.example.test' });
    worker = await startWorker(t, [sendEmailJob, expandCampaignJob, sendEmailActionJob]);
    acme = await t.createTenant('acme', { defaultCountry: 'IN' });
    const secret = await t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: { authorization: `Bearer ${testAdminToken}` },
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        user: 'mailer',
        password: 'secret',
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
    expect(secret.status).toBe(200);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await smtp?.close();
  });

  it('a template variable or a template subject with CR/LF adds no header and no recipient', async () => {
    const variableTemplate = dataOf(
      await t.crm(acme).post('/email/templates', {
        name: 'Hello',
        subject: 'Hello {{name}}',
        html: '<p>Hi {{name}}</p>',
        text: 'Hi {{name}}',
      }),
      201,
    );
    const queued = await t.crm(acme).post('/email/messages', {
      to: 'victim@example.test',
      templateId: variableTemplate.id,
      variables: { name: injection },
    });
    expect(queued.status).toBe(202);

    const subjectTemplate = dataOf(
      await t.crm(acme).post('/email/templates', {
        name: 'Written with a break',
        subject: `Offer ${injection}`,
        html: '<p>Offer</p>',
        text: null,
      }),
      201,
    );
    expect(
      (
        await t.crm(acme).post('/email/messages', {
          to: 'second@example.test',
          templateId: subjectTemplate.id,
        })
      ).status,
    ).toBe(202);

    // The recipient itself is an address, never an address list or a header.
    for (const to of [
      'victim@example.test\r\nBcc: evil@example.test',
      'victim@example.test, evil@example.test',
      'victim@example.test\nevil@example.test',
    ]) {
      const refused = await t.crm(acme).post('/email/messages', { to, templateId: variableTemplate.id });
      expect(refused.status, JSON.stringify(to)).toBe(400);
      expect(refused.body).toMatchObject({ success: false, error: { code: 'validation_failed' } });
    }

    await waitForIdle(t, acme.tenant.id);
    const [first] = mailTo('victim@example.test');
    expectNoInjectedHeader(first!, 'victim@example.test');
    const [second] = mailTo('second@example.test');
    expectNoInjectedHeader(second!, 'second@example.test');
    expect(evil()).toBe(0);
  });

  it("a campaign to a lead whose name carries CR/LF sends the lead's address alone, headers intact", async () => {
    const template = dataOf(
      await t.crm(acme).post('/email/templates', {
        name: 'Campaign',
        subject: 'An offer for {{firstName}} ({{lead.company}})',
        html: '<p>Hi {{firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
        text: null,
      }),
      201,
    );
    const lead = await t.crm(acme).post('/leads', {
      phone: `+9198100${String(++phone).padStart(5, '0')}`,
      firstName: injection,
      company: 'Globex\r\nReply-To: evil@example.test',
      email: 'lead@example.test',
      tags: ['injection'],
    });
    expect(lead.status).toBe(201);
    const campaign = await t.crm(acme).post('/email/campaigns', {
      name: 'Offer',
      templateId: template.id,
      audience: { tags: ['injection'] },
      variables: { extra: injection },
    });
    expect(campaign.status).toBe(201);
    await waitForIdle(t, acme.tenant.id);

    const [mail] = mailTo('lead@example.test');
    expectNoInjectedHeader(mail!, 'lead@example.test');
    expect(headersOf(mail!.raw).map(([name]) => name)).not.toContain('reply-to');
    expect(evil()).toBe(0);
  });

  it("an automation's send_email with CR/LF in its subject or recipient sends no injected header", async () => {
    const rule = await t.automations(acme).post('/rules', {
      name: 'Mail from the event',
      trigger: 'form_submitted',
      actions: [
        { type: 'send_email', to: '{{variables.to}}', subject: 'Re: {{topic}}', body: 'Hello {{topic}}' },
      ],
    });
    expect(rule.status).toBe(201);
    const fire = (variables: Record<string, unknown>) =>
      t.automations(acme).post('/events', {
        trigger: 'form_submitted',
        phone: `+9198200${String(++phone).padStart(5, '0')}`,
        createLeadIfMissing: true,
        variables,
      });
    expect((await fire({ to: 'action@example.test', topic: injection })).status).toBe(202);
    expect((await fire({ to: 'other@example.test\r\nBcc: evil@example.test', topic: 'x' })).status).toBe(202);
    expect((await fire({ to: 'other@example.test,evil@example.test', topic: 'x' })).status).toBe(202);
    const jobs = await waitForIdle(t, acme.tenant.id);

    const [mail] = mailTo('action@example.test');
    expectNoInjectedHeader(mail!, 'action@example.test');
    // The injected recipients are refused by the action: not an email address, nothing sent.
    const refused = jobs.filter((job) => job.kind === sendEmailActionJob.kind && job.status === 'dead');
    expect(refused).toHaveLength(2);
    for (const job of refused) {
      expect(job.errors.at(-1)).toMatchObject({ code: 'invalid_recipient' });
    }
    expect(mailTo('other@example.test')).toEqual([]);
    expect(evil()).toBe(0);
  });
});
