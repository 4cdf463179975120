import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../queue/job-worker.js';
import { startWorker, waitForIdle, waitForStatus } from '../../testing/job-queue.js';
import { FakeGraphApi } from '../../testing/fake-graph-api.js';
import { runJob, tenantHandle } from '../../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { change, inbound, signedRequest, testAppSecret, webhook } from '../testing/meta-payloads.js';
import { processEventJob, sendMessageJob, syncTemplatesJob } from '../whatsapp.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const phoneNumberId = '3000003';
const customer = '4915112345678';

describe('WhatsApp sending and templates', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let acme: TestTenant;
  let worker: JobWorker;
  let conversationId: string;

  const send = (body: unknown) => t.crm(acme).post(`/conversations/${conversationId}/messages`, body);
  /** The tenant's jobs once the worker has nothing left to do, newest last. */
  const settled = () => waitForIdle(t, acme.tenant.id);
  const sendJobOf = async (messageId: string) =>
    (await settled()).find(
      (job) =>
        job.kind === sendMessageJob.kind && (job.payload as { messageId: string }).messageId === messageId,
    )!;

  beforeAll(async () => {
    graph = await new FakeGraphApi('acme-token').start();
    t = await startTestApp({ ROLE: 'web', META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl });
    worker = await startWorker(t, [processEventJob, sendMessageJob, syncTemplatesJob]);
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
    await settled();
    conversationId = (await t.crm(acme).get('/conversations')).body.data.items[0].id;
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await graph?.close();
  });

  it('validates the body and refuses free text outside the 24-hour window', async () => {
    const invalid = await send({ type: 'text', text: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(
      (
        await t
          .crm(acme)
          .post('/conversations/00000000-0000-4000-8000-000000000000/messages', { type: 'text', text: 'x' })
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
    expect((await settled()).filter((job) => job.kind === sendMessageJob.kind)).toEqual([]);
    await db.updateTable('conversations').set({ last_inbound_at: new Date() }).execute();
  });

  it('maps each Graph API error code to what the send job does next', async () => {
    const cases = [
      { code: 130429, retried: true },
      { code: 131056, retried: true },
      { code: 131047, reason: 'template_required', message: /Template required/ },
      { code: 131026, reason: 'undeliverable', message: /undeliverable/ },
    ];
    const { db } = await tenantHandle(t, acme.tenant.id);
    for (const testCase of cases) {
      graph.sendErrors.push({ status: 400, code: testCase.code, message: `error ${testCase.code}` });
      const queued = await send({ type: 'text', text: `case ${testCase.code}` });
      expect(queued.status).toBe(202);
      const job = await sendJobOf(queued.body.data.id);
      const message = await db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', queued.body.data.id)
        .executeTakeFirstOrThrow();
      if (testCase.retried) {
        // Retried after the rate-limit back-off, then sent: the wamid is stored.
        expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
        expect(job.errors[0]!.error).toMatch(new RegExp(`rate limit \\(${testCase.code}\\)`));
        expect(message.wamid).toMatch(/^wamid\.SENT/);
        expect(message.status).toBe('accepted');
      } else {
        expect(job).toMatchObject({ status: 'dead', attempts: 1 });
        expect(job.errors[0]).toMatchObject({ code: testCase.reason });
        expect(job.last_error).toMatch(testCase.message!);
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
    graph.sendErrors.push({ status: 401, code: 190, message: 'Error validating access token' });
    const queued = await send({ type: 'text', text: 'token test' });
    expect(await sendJobOf(queued.body.data.id)).toMatchObject({
      status: 'dead',
      errors: [{ code: 'channel_unhealthy' }],
    });
    const channels = await t.crm(acme).get('/channels');
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

    const next = await send({ type: 'text', text: 'after fix' });
    expect((await sendJobOf(next.body.data.id)).status).toBe('succeeded');
    const healed = await t.crm(acme).get('/channels');
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
    // Counted before the request: the worker may fetch every page before the 202 arrives.
    const pagesBefore = graph.requests.filter((r) => r.path.includes('message_templates')).length;
    const requested = await t.crm(acme).post('/whatsapp/templates/sync');
    expect(requested.status).toBe(202);
    const job = await waitForStatus(t, acme.tenant.id, requested.body.data.jobId, 'succeeded');
    expect(job).toMatchObject({ kind: 'whatsapp.sync_templates', result: { templates: 5 } });
    const pages = graph.requests.filter((r) => r.path.includes('message_templates')).slice(pagesBefore);
    expect(pages.map((page) => page.path)).toEqual([
      '/v23.0/WABA1/message_templates?limit=100',
      '/v23.0/WABA1/message_templates?limit=100&after=2',
      '/v23.0/WABA1/message_templates?limit=100&after=4',
    ]);

    const list = await t.crm(acme).get('/whatsapp/templates');
    expect(list.body.data.items).toHaveLength(5);
    expect(list.body.data.items.find((x: { name: string }) => x.name === 'welcome')).toMatchObject({
      language: 'en_US',
      parameterFormat: 'NAMED',
      category: 'MARKETING',
    });
    const approved = await t.crm(acme).get('/whatsapp/templates?status=approved');
    expect(approved.body.data.items).toHaveLength(3);

    // A template removed at Meta disappears on the next sync.
    graph.templates = graph.templates.filter((template) => template.id !== '5');
    const again = await t.crm(acme).post('/whatsapp/templates/sync');
    await waitForStatus(t, acme.tenant.id, again.body.data.jobId, 'succeeded');
    expect((await t.crm(acme).get('/whatsapp/templates')).body.data.items).toHaveLength(4);

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
    expect(await sendJobOf(queued.body.data.id)).toMatchObject({
      status: 'succeeded',
      result: { wamid: expect.stringMatching(/^wamid\.SENT/) },
    });
    expect(graph.requests.at(-1)?.body).toMatchObject({
      to: customer,
      type: 'template',
      template: { name: 'welcome', language: { code: 'en_US' }, components },
    });
  });
});
