import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker, waitForIdle } from '../testing/job-queue.js';
import { decodeQuotedPrintable, startSmtpSink } from '../testing/smtp-sink.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { unsubscribeUrl } from './send-email.job.js';
import { expandCampaignJob, sendEmailJob } from './email.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };

/** RFC 8058 one-click unsubscribe: the POST a mail client sends to the List-Unsubscribe URL. */
const oneClick = { method: 'POST', body: 'List-Unsubscribe=One-Click' };

describe('email campaigns', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: JobWorker;
  let acme: TestTenant;
  let globex: TestTenant;
  let socket: Socket;
  const progressEvents: { campaignId: string; status: string; progress: Record<string, number> }[] = [];
  let phone = 0;

  const addLead = async (tenant: TestTenant, lead: Record<string, unknown>) => {
    const res = await t.crm(tenant).post('/leads', {
      phone: `+9198000${String(++phone).padStart(5, '0')}`,
      ...lead,
    });
    expect(res.status).toBe(201);
    return res.body.data.lead as { id: string };
  };
  const setup = async (tenant: TestTenant) => {
    const secret = await t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/secrets/smtp`, {
      method: 'PUT',
      headers: admin,
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'mailer',
        password: 'secret',
        fromAddress: 'sales@acme.test',
      },
    });
    expect(secret.status).toBe(200);
    const template = await t.crm(tenant).post('/email/templates', {
      name: 'Offer',
      subject: 'An offer for {{firstName}}',
      html: '<p>Hi {{lead.firstName}}, {{discount}} off.</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      text: 'Hi {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
    });
    expect(template.status).toBe(201);
    return template.body.data.id as string;
  };

  beforeAll(async () => {
    smtp = await startSmtpSink({
      user: 'mailer',
      password: 'secret',
      rejectRecipients: ['ghost@example.test'],
    });
    t = await startTestApp({ ROLE: 'web', PUBLIC_BASE_URL: 'https://crm.example.test' });
    worker = await startWorker(t, [sendEmailJob, expandCampaignJob]);
    acme = await t.createTenant('acme', { defaultCountry: 'IN' });
    globex = await t.createTenant('globex', { defaultCountry: 'IN' });
    socket = io(t.baseUrl, { auth: { clientCode: 'acme', apiKey: acme.apiKey }, transports: ['websocket'] });
    socket.on('campaign.progress', (payload: (typeof progressEvents)[number]) =>
      progressEvents.push(payload),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  });
  afterAll(async () => {
    socket?.disconnect();
    await worker?.stop();
    await t?.close();
    await smtp?.close();
  });

  it('validates the audience as the leads list does, and the template', async () => {
    const templateId = await setup(globex);
    const badStatus = await t.crm(globex).post('/email/campaigns', {
      name: 'x',
      templateId,
      audience: { status: ['nope'] },
    });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.code).toBe('validation_failed');
    expect(badStatus.body.error.details[0].path).toMatch(/^body\.audience\.status/);
    const unknownFilter = await t.crm(globex).post('/email/campaigns', {
      name: 'x',
      templateId,
      audience: { colour: 'red' },
    });
    expect(unknownFilter.status).toBe(400);
    const noTemplate = await t.crm(globex).post('/email/campaigns', {
      name: 'x',
      templateId: '00000000-0000-4000-8000-000000000000',
    });
    expect(noTemplate.status).toBe(404);
    expect(
      (await t.crm(globex).post('/email/campaigns', { name: 'x', templateId, ratePerMinute: 0 })).status,
    ).toBe(400);
  });

  it('sends to the filtered audience through the queue, skipping suppressed and email-less leads', async () => {
    const templateId = await setup(acme);
    const asha = await addLead(acme, { name: 'Asha Verma', email: 'asha@example.test', tags: ['vip'] });
    const ravi = await addLead(acme, { name: 'Ravi Kumar', email: 'ravi@example.test', tags: ['vip'] });
    const ghost = await addLead(acme, { name: 'Ghost Writer', email: 'ghost@example.test', tags: ['vip'] });
    const quiet = await addLead(acme, { name: 'No Mail', tags: ['vip'] });
    await addLead(acme, { name: 'Cold Lead', email: 'cold@example.test', tags: ['cold'] });
    // Ravi unsubscribed from an earlier email.
    const ravisLink = new URL(unsubscribeUrl(t.app.services, 'acme', 'ravi@example.test'));
    expect((await t.request(ravisLink.pathname, oneClick)).status).toBe(200);

    const created = await t.crm(acme).post('/email/campaigns', {
      name: 'VIP offer',
      templateId,
      audience: { tags: ['vip'] },
      variables: { discount: '20%' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ status: 'scheduled', progress: { total: 0 } });
    const id = created.body.data.id as string;

    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(jobs.filter((job) => job.status !== 'succeeded' && job.status !== 'dead')).toEqual([]);
    const campaign = (await t.crm(acme).get(`/email/campaigns/${id}`)).body.data;
    expect(campaign).toMatchObject({
      status: 'completed',
      progress: { total: 4, queued: 0, sent: 1, failed: 1, suppressed: 1, skipped: 1, cancelled: 0 },
    });
    expect(campaign.completedAt).not.toBeNull();

    const recipients = (await t.crm(acme).get(`/email/campaigns/${id}/recipients`)).body.data.items as {
      leadId: string;
      status: string;
      smtpResponse: string | null;
    }[];
    const byLead = new Map(recipients.map((recipient) => [recipient.leadId, recipient]));
    expect(byLead.get(asha.id)).toMatchObject({
      status: 'sent',
      smtpResponse: expect.stringMatching(/^250/),
    });
    expect(byLead.get(ravi.id)).toMatchObject({
      status: 'suppressed',
      smtpResponse: 'suppressed: unsubscribed',
    });
    expect(byLead.get(ghost.id)).toMatchObject({
      status: 'failed',
      smtpResponse: expect.stringMatching(/550/),
    });
    expect(byLead.get(quiet.id)).toMatchObject({ status: 'skipped' });
    expect(
      (await t.crm(acme).get(`/email/campaigns/${id}/recipients?status=failed`)).body.data.items,
    ).toHaveLength(1);

    // Only Asha got mail (the cold lead is outside the filter); her link unsubscribes her alone.
    const mails = smtp.received.filter((mail) => mail.to.some((to) => to.endsWith('@example.test')));
    expect(mails.map((mail) => mail.to)).toEqual([['asha@example.test']]);
    const body = decodeQuotedPrintable(mails[0]!.raw);
    expect(mails[0]!.raw).toContain('Subject: An offer for Asha');
    expect(body).toContain('Hi Asha, 20% off.');
    const link = /List-Unsubscribe:\s+<(https:\/\/crm\.example\.test\/u\/[\w.-]+)>/.exec(mails[0]!.raw)?.[1];
    expect(body).toContain(`href="${link}"`);
    expect((await t.request(new URL(link!).pathname, oneClick)).status).toBe(200);
    const suppressions = (await t.crm(acme).get('/email/suppressions')).body.data.items as {
      address: string;
      reason: string;
    }[];
    expect(suppressions.map((s) => [s.address, s.reason]).sort()).toEqual([
      ['asha@example.test', 'unsubscribed'],
      ['ghost@example.test', 'bounced'],
      ['ravi@example.test', 'unsubscribed'],
    ]);

    await expect
      .poll(() => progressEvents.filter((event) => event.campaignId === id).at(-1))
      .toMatchObject({ status: 'completed', progress: { total: 4, sent: 1, failed: 1 } });

    const list = (await t.crm(acme).get('/email/campaigns')).body.data.items;
    expect(list).toMatchObject([{ id, status: 'completed', progress: { total: 4 } }]);
    // Another tenant sees none of it.
    expect((await t.crm(globex).get(`/email/campaigns/${id}`)).status).toBe(404);
    expect((await t.crm(globex).get(`/email/campaigns/${id}/recipients`)).status).toBe(404);
    expect((await t.crm(globex).post(`/email/campaigns/${id}/cancel`)).status).toBe(404);
    expect((await t.crm(globex).get('/email/campaigns')).body.data.items).toEqual([]);
    expect((await t.crm(acme).post(`/email/campaigns/${id}/cancel`)).body.error.code).toBe(
      'campaign_finished',
    );
  });

  it('spaces batches by the rate, waits for a later sendAt, and cancels what is still queued', async () => {
    const initech = await t.createTenant('initech', { defaultCountry: 'IN' });
    const templateId = await setup(initech);
    for (let i = 1; i <= 5; i++)
      await addLead(initech, { name: `Paced ${i}`, email: `paced${i}@initech.test` });

    const later = new Date(Date.now() + 3_600_000);
    const scheduled = await t.crm(initech).post('/email/campaigns', {
      name: 'Later',
      templateId,
      sendAt: later.toISOString(),
    });
    expect(scheduled.body.data).toMatchObject({ status: 'scheduled', sendAt: later.toISOString() });
    const pending = await t.app.services.platform
      .selectFrom('jobs')
      .select(['kind', 'run_at', 'status'])
      .where('tenant_id', '=', initech.tenant.id)
      .execute();
    expect(pending).toEqual([{ kind: expandCampaignJob.kind, run_at: later, status: 'queued' }]);
    const cancelledLater = await t.crm(initech).post(`/email/campaigns/${scheduled.body.data.id}/cancel`);
    expect(cancelledLater.body.data).toMatchObject({ status: 'cancelled', progress: { total: 0 } });

    // 2 a minute: batches of 2, a minute apart. The first batch goes at once.
    const paced = await t
      .crm(initech)
      .post('/email/campaigns', { name: 'Paced', templateId, ratePerMinute: 2 });
    const id = paced.body.data.id as string;
    await expect
      .poll(async () => (await t.crm(initech).get(`/email/campaigns/${id}`)).body.data.progress, {
        timeout: 30_000,
      })
      .toMatchObject({ total: 5, sent: 2, queued: 3 });
    const sends = await t.app.services.platform
      .selectFrom('jobs')
      .select(['run_at'])
      .where('tenant_id', '=', initech.tenant.id)
      .where('kind', '=', sendEmailJob.kind)
      .orderBy('run_at')
      .execute();
    const offsets = sends.map((job) => job.run_at.getTime() - sends[0]!.run_at.getTime());
    expect(offsets).toEqual([0, 0, 60_000, 60_000, 120_000]);

    const cancelled = await t.crm(initech).post(`/email/campaigns/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({
      status: 'cancelled',
      progress: { total: 5, sent: 2, queued: 0, cancelled: 3 },
    });
    expect(smtp.received.filter((mail) => mail.to[0]!.endsWith('@initech.test'))).toHaveLength(2);
  });

  it('an expansion job that dies (its process killed on the last attempt) ends the campaign instead of leaving it sending', async () => {
    const hooli = await t.createTenant('hooli', { defaultCountry: 'IN' });
    const templateId = await setup(hooli);
    await addLead(hooli, { name: 'Gone Mid', email: 'gone@hooli.test' });
    // Due later, so no worker takes the job before the test makes it a killed run's.
    const later = new Date(Date.now() + 3_600_000);
    const created = await t.crm(hooli).post('/email/campaigns', {
      name: 'Killed',
      templateId,
      sendAt: later.toISOString(),
    });
    const id = created.body.data.id as string;
    await t.app.services.platform
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb.ref('max_attempts'),
        locked_by: 'killed-worker',
        locked_until: new Date(Date.now() - 1000),
      }))
      .where('tenant_id', '=', hooli.tenant.id)
      .where('kind', '=', expandCampaignJob.kind)
      .execute();

    await expect
      .poll(async () => (await t.crm(hooli).get(`/email/campaigns/${id}`)).body.data.status, {
        timeout: 10_000,
      })
      .toBe('completed');
    const job = await t.app.services.platform
      .selectFrom('jobs')
      .select(['status', 'last_error'])
      .where('tenant_id', '=', hooli.tenant.id)
      .executeTakeFirstOrThrow();
    expect(job.status).toBe('dead');
    expect(job.last_error).toContain('Lease expired');
  });
});
