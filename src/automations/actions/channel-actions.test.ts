import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../queue/job-worker.js';
import { cancelJob } from '../../queue/jobs.repository.js';
import { PermanentJobError, RetryLaterError } from '../../queue/job-types.js';
import { startWorker, tenantJobs, waitForStatus } from '../../testing/job-queue.js';
import { FakeGoogleCalendar } from '../../testing/fake-google-calendar.js';
import { FakeGraphApi } from '../../testing/fake-graph-api.js';
import { jobContext, tenantHandle } from '../../testing/job-context.js';
import { decodeQuotedPrintable, startSmtpSink } from '../../testing/smtp-sink.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { syncedTemplate } from '../../testing/whatsapp-template.js';
import {
  channelActionJobs,
  createMeetLinkJob,
  resumeRunJob,
  sendWhatsAppTextJob,
} from '../automations.jobs.js';
import { sendEmailJob } from '../../email/email.jobs.js';
import { pollConferenceJob } from '../../meetings/meetings.jobs.js';
import { sendMessageJob } from '../../whatsapp/whatsapp.jobs.js';
import { dataOf } from '../../testing/tenant-client.js';

const admin = { authorization: `Bearer ${testAdminToken}` };

describe('automation channel actions, end to end through the queue', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let calendar: FakeGoogleCalendar;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: JobWorker;
  let acme: TestTenant;
  let bare: TestTenant;
  let phoneCounter = 0;
  const nextPhone = () => `98200${String(10_000 + ++phoneCounter).slice(-5)}`;
  const createRule = async (tenant: TestTenant, rule: unknown) =>
    dataOf(await t.automations(tenant).post('/rules', rule), 201);
  const fire = async (tenant: TestTenant, body: Record<string, unknown>) => {
    const res = await t.automations(tenant).post('/events', { createLeadIfMissing: true, ...body });
    expect(res.status).toBe(202);
    return res.body.data;
  };
  const putSecret = async (kind: string, body: unknown) => {
    const res = await t.request(`/api/platform/tenants/acme/secrets/${kind}`, {
      method: 'PUT',
      headers: admin,
      body,
    });
    expect(res.status).toBe(200);
  };
  /** The job a job enqueued, by kind (the only one of that kind after `afterId`). */
  const jobAfter = async (tenantId: string, kind: string, afterId: string) => {
    let found: string | undefined;
    await expect
      .poll(async () => {
        found = (await tenantJobs(t, tenantId))
          .filter((job) => job.kind === kind && job.id > Number(afterId))
          .map((job) => String(job.id))[0];
        return found;
      })
      .toBeDefined();
    return found!;
  };
  const sentMessages = () =>
    graph.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/messages'));

  beforeAll(async () => {
    graph = await new FakeGraphApi('acme-token').start();
    calendar = await new FakeGoogleCalendar().start();
    calendar.refreshTokens.add('acme-refresh');
    smtp = await startSmtpSink({ user: 'mailer', password: 'pw' });
    t = await startTestApp({
      // The test runs its own worker, with the handlers of the whole path.
      ROLE: 'web',
      META_GRAPH_URL: graph.baseUrl,
      GOOGLE_API_ROOT_URL: `${calendar.baseUrl}/`,
      GOOGLE_OAUTH_TOKEN_URL: `${calendar.baseUrl}/token`,
      PUBLIC_BASE_URL: 'https://crm.example.test',
    });
    acme = await t.createTenant('acme', { defaultCountry: 'IN', timezone: 'Asia/Kolkata' });
    bare = await t.createTenant('bare', { defaultCountry: 'IN' });
    await putSecret('whatsapp', {
      phoneNumberIds: ['3000003'],
      wabaId: 'WABA1',
      accessToken: 'acme-token',
      verifyToken: 'v',
    });
    await putSecret('smtp', {
      host: '127.0.0.1',
      port: smtp.port,
      user: 'mailer',
      password: 'pw',
      fromName: 'Acme Sales',
      fromAddress: 'sales@acme.test',
    });
    await putSecret('google', {
      type: 'oauth',
      clientId: 'client',
      clientSecret: 'shh',
      refreshToken: 'acme-refresh',
      calendarId: 'sales@acme.test',
    });
    for (const tenant of [acme, bare]) {
      const { db } = await tenantHandle(t, tenant.tenant.id);
      await syncedTemplate(db, 'welcome', 'en');
      await syncedTemplate(db, 'meet_invite', 'en');
    }
    worker = await startWorker(t, [
      ...channelActionJobs,
      resumeRunJob,
      sendMessageJob,
      sendEmailJob,
      pollConferenceJob,
    ]);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await Promise.all([graph?.close(), calendar?.close(), smtp?.close()]);
  });

  it('an event runs send_whatsapp_template: the Graph API receives the template with its parameters', async () => {
    await createRule(acme, {
      name: 'Welcome',
      trigger: 'form_submitted',
      actions: [
        {
          type: 'send_whatsapp_template',
          template: 'welcome',
          language: 'en',
          variables: ['{{lead.firstName}}'],
        },
      ],
    });
    const phone = nextPhone();
    const result = await fire(acme, { trigger: 'form_submitted', phone, leadData: { firstName: 'Dhanesh' } });
    const [job] = result.jobs;
    const done = await waitForStatus(t, acme.tenant.id, job.id, 'succeeded');
    const { messageId } = done.result as { messageId: string };
    const send = await jobAfter(acme.tenant.id, 'whatsapp.send_message', job.id);
    await waitForStatus(t, acme.tenant.id, send, 'succeeded');

    expect(sentMessages().at(-1)!.body).toMatchObject({
      to: `91${phone}`,
      type: 'template',
      template: {
        name: 'welcome',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Dhanesh' }] }],
      },
      biz_opaque_callback_data: messageId,
    });
    // The message is in the inbox, on a conversation linked to the lead.
    const { db } = await tenantHandle(t, acme.tenant.id);
    const message = await db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['messages.status', 'messages.wamid', 'conversations.lead_id', 'conversations.wa_id'])
      .where('messages.id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(message).toMatchObject({ status: 'accepted', lead_id: result.lead.id, wa_id: `91${phone}` });
    const run = await t.automations(acme).get(`/runs/${result.matchedRules[0].runId}`);
    expect(run.body.data.actions[0].detail).toMatchObject({ messageId });
    // The run shows its job as the queue has it now.
    const jobView = {
      id: job.id,
      kind: 'automation.send_whatsapp_template',
      status: 'succeeded',
      attempts: 1,
      maxAttempts: 5,
      lastError: null,
      errorCode: null,
      result: { messageId },
    };
    expect(run.body.data.jobs).toEqual([
      { ...jobView, runAt: expect.any(String), finishedAt: expect.any(String), result: done.result },
    ]);
    expect(run.body.data.actions[0].job).toMatchObject(jobView);
  });

  it('a repeated delivery of the action job sends nothing twice', async () => {
    await createRule(acme, {
      name: 'Hello text',
      trigger: 'appointment_confirmed',
      actions: [{ type: 'send_whatsapp_text', text: 'See you {{time}}' }],
    });
    const phone = nextPhone();
    const { db } = await tenantHandle(t, acme.tenant.id);
    // The customer wrote an hour ago: free text is allowed.
    await db
      .insertInto('conversations')
      .values({
        phone_number_id: '3000003',
        wa_id: `91${phone}`,
        last_inbound_at: new Date(Date.now() - 3_600_000),
      })
      .execute();
    const result = await fire(acme, {
      trigger: 'appointment_confirmed',
      phone,
      variables: { time: 'at 10' },
    });
    const [job] = result.jobs;
    const first = await waitForStatus(t, acme.tenant.id, job.id, 'succeeded');
    const row = (await tenantJobs(t, acme.tenant.id)).find((candidate) => String(candidate.id) === job.id)!;
    const again = await sendWhatsAppTextJob.handler(
      await jobContext(t, acme.tenant.id, row.kind, row.payload as any, { attempt: 2 }),
    );
    expect(again).toEqual(first.result);
    const messages = await db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select('messages.body')
      .where('conversations.wa_id', '=', `91${phone}`)
      .execute();
    expect(messages).toEqual([{ body: 'See you at 10' }]);
  });

  it('fails a text outside the 24-hour window, and an unapproved template, permanently with their codes', async () => {
    const phone = nextPhone();
    const text = await fire(acme, { trigger: 'appointment_confirmed', phone, variables: { time: 'soon' } });
    const closed = await waitForStatus(t, acme.tenant.id, text.jobs[0].id, 'dead');
    expect(closed.attempts).toBe(1);
    expect(closed.errors.at(-1)).toMatchObject({ code: 'outside_customer_service_window' });
    const run = (await t.automations(acme).get(`/runs/${text.matchedRules[0].runId}`)).body.data;
    expect(run.jobs).toEqual([
      expect.objectContaining({
        id: text.jobs[0].id,
        status: 'dead',
        attempts: 1,
        errorCode: 'outside_customer_service_window',
        lastError: expect.stringContaining('24 hours'),
      }),
    ]);

    const { db } = await tenantHandle(t, acme.tenant.id);
    await db
      .updateTable('whatsapp_templates')
      .set({ status: 'PAUSED' })
      .where('name', '=', 'welcome')
      .execute();
    try {
      const paused = await fire(acme, {
        trigger: 'form_submitted',
        phone: nextPhone(),
        leadData: { firstName: 'Ravi' },
      });
      const dead = await waitForStatus(t, acme.tenant.id, paused.jobs[0].id, 'dead');
      expect(dead.errors.at(-1)).toMatchObject({ code: 'template_not_approved' });
    } finally {
      await db
        .updateTable('whatsapp_templates')
        .set({ status: 'APPROVED' })
        .where('name', '=', 'welcome')
        .execute();
    }
  });

  it('fails with channel_not_configured only when the tenant has no channel secret', async () => {
    await createRule(bare, {
      name: 'Everything',
      trigger: 'form_submitted',
      actions: [
        {
          type: 'send_whatsapp_template',
          template: 'welcome',
          language: 'en',
          variables: ['{{lead.firstName}}'],
        },
        { type: 'send_email', to: 'someone@example.test', subject: 'Hi', body: 'Hello' },
        { type: 'create_meet_link', title: 'Call', startAt: '2030-01-01T10:00:00Z' },
      ],
    });
    const result = await fire(bare, {
      trigger: 'form_submitted',
      phone: nextPhone(),
      leadData: { firstName: 'Om' },
    });
    expect(result.jobs).toHaveLength(3);
    for (const job of result.jobs) {
      const dead = await waitForStatus(t, bare.tenant.id, job.id, 'dead');
      expect(dead.errors.at(-1)).toMatchObject({ code: 'channel_not_configured' });
    }
  });

  it('send_email goes out through the tenant SMTP with an unsubscribe link; a suppressed address gets nothing', async () => {
    await createRule(acme, {
      name: 'Mail',
      trigger: 'product_purchased',
      actions: [
        {
          type: 'send_email',
          subject: 'Thanks for {{product}}',
          body: 'Hi {{lead.firstName}},\n\nyour {{product}} is on its way.',
        },
      ],
    });
    const result = await fire(acme, {
      trigger: 'product_purchased',
      phone: nextPhone(),
      variables: { product: 'Gold plan' },
      leadData: { firstName: 'Asha', email: 'asha@example.test' },
    });
    const done = await waitForStatus(t, acme.tenant.id, result.jobs[0].id, 'succeeded');
    const send = await jobAfter(acme.tenant.id, 'email.send', result.jobs[0].id);
    expect((await waitForStatus(t, acme.tenant.id, send, 'succeeded')).result).toEqual({ status: 'sent' });
    const mail = smtp.received.find((received) => received.to.includes('asha@example.test'))!;
    const raw = decodeQuotedPrintable(mail.raw);
    expect(raw).toContain('Subject: Thanks for Gold plan');
    expect(raw).toContain('your Gold plan is on its way.');
    expect(raw).toContain('<p>Hi Asha,</p>');
    expect(raw).toMatch(/List-Unsubscribe:\s+<https:\/\/crm\.example\.test\/u\/[^>]+>/);
    const { db } = await tenantHandle(t, acme.tenant.id);
    const { emailMessageId } = done.result as { emailMessageId: string };
    expect(
      await db
        .selectFrom('email_messages')
        .select('status')
        .where('id', '=', emailMessageId)
        .executeTakeFirst(),
    ).toEqual({ status: 'sent' });

    await db
      .insertInto('email_suppressions')
      .values({ address: 'gone@example.test', reason: 'unsubscribed' })
      .execute();
    const suppressed = await fire(acme, {
      trigger: 'product_purchased',
      phone: nextPhone(),
      variables: { product: 'Silver plan' },
      leadData: { firstName: 'Gone', email: 'Gone@example.test' },
    });
    await waitForStatus(t, acme.tenant.id, suppressed.jobs[0].id, 'succeeded');
    const skipped = await jobAfter(acme.tenant.id, 'email.send', suppressed.jobs[0].id);
    expect((await waitForStatus(t, acme.tenant.id, skipped, 'succeeded')).result).toEqual({
      status: 'suppressed',
    });
    expect(smtp.received.some((received) => received.to.includes('gone@example.test'))).toBe(false);
  });

  it('create_meet_link then send_whatsapp_template: the template carries the new Meet link', async () => {
    calendar.pendingPolls = 1;
    await createRule(acme, {
      name: 'Book a call',
      trigger: 'service_enrolled',
      actions: [
        {
          type: 'create_meet_link',
          title: 'Call with {{lead.firstName}}',
          startAt: '{{slot}}',
          attendees: ['{{lead.email}}'],
        },
        { type: 'add_tag', tag: 'meeting' },
        {
          type: 'send_whatsapp_template',
          template: 'meet_invite',
          language: 'en',
          variables: ['{{lead.firstName}}', '{{meet.link}}'],
        },
      ],
    });
    const result = await fire(acme, {
      trigger: 'service_enrolled',
      phone: nextPhone(),
      variables: { slot: '2030-02-01T11:00' },
      leadData: { firstName: 'Meera', email: 'meera@example.test' },
    });
    const runId = result.matchedRules[0].runId;
    expect(result.matchedRules[0].status).toBe('waiting');
    expect(result.jobs.map((job: any) => job.kind)).toEqual(['automation.create_meet_link']);
    expect(result.lead.tags).toEqual([]);

    const meet = await waitForStatus(t, acme.tenant.id, result.jobs[0].id, 'succeeded');
    // The conference was pending at first: the job looked again later.
    expect(meet.attempts).toBeGreaterThanOrEqual(2);
    const { link, resumeJobId } = meet.result as { link: string; resumeJobId: string };
    expect(link).toMatch(/^https:\/\/meet\.google\.com\//);
    await waitForStatus(t, acme.tenant.id, resumeJobId, 'succeeded');
    const whatsapp = await jobAfter(acme.tenant.id, 'automation.send_whatsapp_template', resumeJobId);
    await waitForStatus(t, acme.tenant.id, whatsapp, 'succeeded');
    const send = await jobAfter(acme.tenant.id, 'whatsapp.send_message', whatsapp);
    await waitForStatus(t, acme.tenant.id, send, 'succeeded');

    expect(sentMessages().at(-1)!.body.template).toMatchObject({
      name: 'meet_invite',
      components: [{ parameters: [{ text: 'Meera' }, { text: link }] }],
    });
    const inserted = calendar.requests.find(
      (request) => request.method === 'POST' && request.body?.summary === 'Call with Meera',
    )!;
    // 11:00 in the tenant's Asia/Kolkata is 05:30 UTC.
    expect(inserted.body).toMatchObject({
      start: { dateTime: '2030-02-01T05:30:00.000Z' },
      attendees: [{ email: 'meera@example.test' }],
    });
    const run = (await t.automations(acme).get(`/runs/${runId}`)).body.data;
    expect(run.status).toBe('succeeded');
    expect(run.actions.map((action: any) => action.status)).toEqual(['queued', 'applied', 'queued']);
    expect(run.actions[0].detail).toMatchObject({ link, meetingId: expect.any(String) });
    const lead = await t.crm(acme).get(`/leads/${result.lead.id}`);
    expect(lead.body.data.tags).toEqual(['meeting']);
    const { db } = await tenantHandle(t, acme.tenant.id);
    expect(
      await db.selectFrom('meetings').select('lead_id').where('hangout_link', '=', link).execute(),
    ).toEqual([{ lead_id: result.lead.id }]);
  });

  it('a meeting Google cannot make fails the run and skips the actions that waited for it', async () => {
    calendar.pendingPolls = 0;
    calendar.failConference = true;
    try {
      await createRule(acme, {
        name: 'Book a failing call',
        trigger: 'deal_lost',
        actions: [
          { type: 'create_meet_link', title: 'Doomed', startAt: '2030-03-01T11:00:00Z' },
          {
            type: 'send_whatsapp_template',
            template: 'meet_invite',
            language: 'en',
            variables: ['x', '{{meet.link}}'],
          },
        ],
      });
      const result = await fire(acme, {
        trigger: 'deal_lost',
        phone: nextPhone(),
        variables: { slot: '2030-03-01T11:00', fail: true },
        leadData: { firstName: 'Nope', email: 'nope@example.test' },
      });
      const run = result.matchedRules.find((match: any) => match.ruleName === 'Book a failing call');
      const job = result.jobs.find((queued: any) => queued.runId === run.runId);
      const dead = await waitForStatus(t, acme.tenant.id, job.id, 'dead');
      expect(dead.errors.at(-1)).toMatchObject({ code: 'meeting_failed' });
      const stored = (await t.automations(acme).get(`/runs/${run.runId}`)).body.data;
      expect(stored.status).toBe('failed');
      expect(stored.actions.map((action: any) => action.status)).toEqual(['failed', 'skipped']);
    } finally {
      calendar.failConference = false;
    }
  });

  it('a conference still pending at the last attempt fails the run instead of leaving it waiting', async () => {
    calendar.pendingPolls = 1_000;
    try {
      await createRule(acme, {
        name: 'Book a slow call',
        trigger: 'tag_added',
        actions: [
          { type: 'create_meet_link', title: 'Slow', startAt: '2030-04-01T11:00:00Z' },
          { type: 'add_tag', tag: 'booked' },
        ],
      });
      const result = await fire(acme, { trigger: 'tag_added', phone: nextPhone() });
      const [job] = result.jobs;
      // The first attempt created the meeting and waits for its conference: stop the queue's retries.
      await waitForStatus(t, acme.tenant.id, job.id, 'failed');
      expect(await cancelJob(t.app.services.platform, acme.tenant.id, Number(job.id))).toBeDefined();
      const row = (await tenantJobs(t, acme.tenant.id)).find((candidate) => String(candidate.id) === job.id)!;
      const last = await createMeetLinkJob
        .handler(
          await jobContext(t, acme.tenant.id, row.kind, row.payload as any, { attempt: 10, maxAttempts: 10 }),
        )
        .catch((error: unknown) => error);
      expect(last).toBeInstanceOf(RetryLaterError);
      expect(last).not.toBeInstanceOf(PermanentJobError);
      const run = (await t.automations(acme).get(`/runs/${result.matchedRules[0].runId}`)).body.data;
      expect(run.status).toBe('failed');
      expect(run.actions).toMatchObject([
        { status: 'failed', error: { code: 'meeting_not_ready' }, detail: { meetingId: expect.any(String) } },
        { status: 'skipped' },
      ]);
      const { db } = await tenantHandle(t, acme.tenant.id);
      expect(await db.selectFrom('meetings').select('id').where('title', '=', 'Slow').execute()).toHaveLength(
        1,
      );
    } finally {
      calendar.pendingPolls = 0;
    }
  });
});
