import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError, RetryLaterError } from '../queue/job-types.js';
import { FakeGraphApi } from '../testing/fake-graph-api.js';
import { recordJobs, runJob, tenantHandle, type JobRecorder } from '../testing/jobs.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { processEventJob } from './process-event.job.js';
import { sendMessageJob } from './send-message.job.js';
import { syncTemplatesJob } from './templates.job.js';
import { change, inbound, signedRequest, testAppSecret, webhook } from './testing/meta-payloads.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const phoneNumberId = '3000003';
const customer = '4915112345678';

describe('WhatsApp sending and templates', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let acme: TestTenant;
  let queue: JobRecorder;
  let conversationId: string;

  const send = (body: unknown) =>
    t.request(`/api/crm/conversations/${conversationId}/messages`, { headers: acme.headers, body });
  const lastJob = () => queue.pending.shift()!;

  beforeAll(async () => {
    graph = await new FakeGraphApi('acme-token').start();
    t = await startTestApp({ META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl });
    queue = recordJobs(t);
    acme = await t.createTenant('acme');
    await t.request('/api/platform/tenants/acme/secrets/whatsapp', {
      method: 'PUT',
      headers: admin,
      body: { phoneNumberIds: [phoneNumberId], wabaId: 'WABA1', accessToken: 'acme-token', verifyToken: 'v' },
    });
    const { body, headers } = signedRequest(
      webhook({
        changes: [
          change({
            phoneNumberId,
            messages: [inbound('wamid.IN1', customer, 'text', { text: { body: 'hi' } })],
          }),
        ],
      }),
    );
    await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
    await queue.drain([processEventJob]);
    conversationId = (await t.request('/api/crm/conversations', { headers: acme.headers })).body.data[0].id;
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it('validates the body and refuses free text outside the 24-hour window', async () => {
    const invalid = await send({ type: 'text', text: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(
      (
        await t.request(`/api/crm/conversations/00000000-0000-4000-8000-000000000000/messages`, {
          headers: acme.headers,
          body: { type: 'text', text: 'x' },
        })
      ).status,
    ).toBe(404);

    const { db } = await tenantHandle(t, acme.tenant.id);
    await db
      .updateTable('conversations')
      .set({ last_inbound_at: sql`now() - interval '25 hours'` })
      .execute();
    const late = await send({ type: 'text', text: 'still there?' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('outside_customer_service_window');
    expect(queue.pending).toHaveLength(0);
    await db.updateTable('conversations').set({ last_inbound_at: new Date() }).execute();
  });

  it('maps each Graph API error code to what the send job does next', async () => {
    const cases = [
      { code: 130429, status: 400, expect: RetryLaterError },
      { code: 131056, status: 400, expect: RetryLaterError },
      {
        code: 131047,
        status: 400,
        expect: PermanentJobError,
        reason: 'template_required',
        message: /Template required/,
      },
      {
        code: 131026,
        status: 400,
        expect: PermanentJobError,
        reason: 'undeliverable',
        message: /undeliverable/,
      },
    ];
    const { db } = await tenantHandle(t, acme.tenant.id);
    for (const testCase of cases) {
      const queued = await send({ type: 'text', text: `case ${testCase.code}` });
      expect(queued.status).toBe(202);
      const job = lastJob();
      graph.sendErrors.push({
        status: testCase.status,
        code: testCase.code,
        message: `error ${testCase.code}`,
      });
      const error = await runJob(
        t,
        sendMessageJob,
        job.tenantId,
        job.payload as { messageId: string },
        2,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(testCase.expect);
      const message = await db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', queued.body.data.id)
        .executeTakeFirstOrThrow();
      if (error instanceof RetryLaterError) {
        expect(error.delayMs).toBe(4000);
        expect(message.status).toBe('queued');
        // The retry succeeds and stores the wamid.
        await runJob(t, sendMessageJob, job.tenantId, job.payload as { messageId: string }, 3);
        const sent = await db
          .selectFrom('messages')
          .selectAll()
          .where('id', '=', queued.body.data.id)
          .executeTakeFirstOrThrow();
        expect(sent.wamid).toMatch(/^wamid\.SENT/);
        expect(sent.status).toBe('accepted');
      } else {
        expect((error as PermanentJobError).code).toBe(testCase.reason);
        expect((error as Error).message).toMatch(testCase.message!);
        expect(message.status).toBe('failed');
        expect(message.errors).toMatchObject([{ code: testCase.code, reason: testCase.reason }]);
      }
    }
    // A message already sent is never sent again.
    const before = graph.requests.length;
    const sent = await db
      .selectFrom('messages')
      .select('id')
      .where('wamid', 'is not', null)
      .where('direction', '=', 'outbound')
      .executeTakeFirstOrThrow();
    await runJob(t, sendMessageJob, acme.tenant.id, { messageId: sent.id });
    expect(graph.requests.length).toBe(before);
  });

  it('marks the channel unhealthy on an invalid token (190) and healthy again after a success', async () => {
    const queued = await send({ type: 'text', text: 'token test' });
    const job = lastJob();
    graph.sendErrors.push({ status: 401, code: 190, message: 'Error validating access token' });
    const error = await runJob(t, sendMessageJob, job.tenantId, job.payload as { messageId: string }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PermanentJobError);
    expect((error as PermanentJobError).code).toBe('channel_unhealthy');
    const channels = await t.request('/api/crm/channels', { headers: acme.headers });
    expect(channels.status).toBe(200);
    expect(channels.body.data.find((c: { channel: string }) => c.channel === 'whatsapp')).toMatchObject({
      configured: true,
      healthy: false,
      lastError: 'Error validating access token',
      details: { phoneNumberIds: [phoneNumberId], wabaId: 'WABA1' },
    });
    expect(channels.body.data.find((c: { channel: string }) => c.channel === 'email')).toMatchObject({
      configured: false,
    });
    expect(queued.status).toBe(202);

    await send({ type: 'text', text: 'after fix' });
    const next = lastJob();
    await runJob(t, sendMessageJob, next.tenantId, next.payload as { messageId: string });
    const healed = await t.request('/api/crm/channels', { headers: acme.headers });
    expect(healed.body.data[0]).toMatchObject({ channel: 'whatsapp', healthy: true, lastError: null });
  });

  it('syncs templates across pages and sends only APPROVED ones', async () => {
    graph.templates = [
      {
        id: '1',
        name: 'welcome',
        language: 'en_US',
        status: 'APPROVED',
        category: 'MARKETING',
        parameter_format: 'NAMED',
        components: [{ type: 'BODY', text: 'Hi {{first_name}}' }],
      },
      { id: '2', name: 'welcome', language: 'es', status: 'APPROVED', category: 'MARKETING', components: [] },
      {
        id: '3',
        name: 'meeting_link',
        language: 'en_US',
        status: 'APPROVED',
        category: 'UTILITY',
        components: [],
      },
      {
        id: '4',
        name: 'promo',
        language: 'en_US',
        status: 'REJECTED',
        category: 'MARKETING',
        components: [],
      },
      {
        id: '5',
        name: 'pending_one',
        language: 'en_US',
        status: 'PENDING',
        category: 'UTILITY',
        components: [],
      },
    ];
    const requested = await t.request('/api/crm/whatsapp/templates/sync', {
      method: 'POST',
      headers: acme.headers,
    });
    expect(requested.status).toBe(202);
    const job = lastJob();
    expect(job.kind).toBe('whatsapp.sync_templates');
    const pagesBefore = graph.requests.filter((r) => r.path.includes('message_templates')).length;
    expect(await runJob(t, syncTemplatesJob, job.tenantId, {})).toEqual({ templates: 5 });
    const pages = graph.requests.filter((r) => r.path.includes('message_templates')).slice(pagesBefore);
    expect(pages.map((page) => page.path)).toEqual([
      '/v23.0/WABA1/message_templates?limit=100',
      '/v23.0/WABA1/message_templates?limit=100&after=2',
      '/v23.0/WABA1/message_templates?limit=100&after=4',
    ]);

    const list = await t.request('/api/crm/whatsapp/templates', { headers: acme.headers });
    expect(list.body.data).toHaveLength(5);
    expect(list.body.data.find((x: { name: string }) => x.name === 'welcome')).toMatchObject({
      language: 'en_US',
      parameterFormat: 'NAMED',
      category: 'MARKETING',
    });
    const approved = await t.request('/api/crm/whatsapp/templates?status=approved', {
      headers: acme.headers,
    });
    expect(approved.body.data).toHaveLength(3);

    // A template removed at Meta disappears on the next sync.
    graph.templates = graph.templates.filter((template) => template.id !== '5');
    await runJob(t, syncTemplatesJob, acme.tenant.id, {});
    expect(
      (await t.request('/api/crm/whatsapp/templates', { headers: acme.headers })).body.data,
    ).toHaveLength(4);

    const rejected = await send({ type: 'template', template: { name: 'promo', language: 'en_US' } });
    expect(rejected.status).toBe(409);
    expect(rejected.body.error.code).toBe('template_not_approved');

    const { db } = await tenantHandle(t, acme.tenant.id);
    await db
      .updateTable('conversations')
      .set({ last_inbound_at: sql`now() - interval '3 days'` })
      .execute();
    const components = [
      { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jo' }] },
    ];
    const queued = await send({
      type: 'template',
      template: { name: 'welcome', language: 'en_US', components },
    });
    expect(queued.status).toBe(202);
    const sendJob = lastJob();
    await runJob(t, sendMessageJob, sendJob.tenantId, sendJob.payload as { messageId: string });
    expect(graph.requests.at(-1)?.body).toMatchObject({
      to: customer,
      type: 'template',
      template: { name: 'welcome', language: { code: 'en_US' }, components },
    });
  });
});
