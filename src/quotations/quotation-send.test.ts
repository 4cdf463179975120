import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import type { JobWorker } from '../queue/job-worker.js';
import { FakeGraphApi } from '../testing/fake-graph-api.js';
import { jobContext, tenantHandle } from '../testing/job-context.js';
import { jobRow, startWorker, waitForIdle } from '../testing/job-queue.js';
import { pdfText } from '../testing/pdf-text.js';
import { addDeal, addDealPipeline, type TestPipeline } from '../testing/quotation-fixtures.js';
import { startSmtpSink } from '../testing/smtp-sink.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { change, inbound, signedRequest, status, testAppSecret, webhook } from '../whatsapp/index.js';
import { processEventJob } from '../whatsapp/whatsapp.jobs.js';
import { sendQuotationJobDefinition } from './quotations.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const phoneNumberId = '3000019';
const line = {
  name: 'Widget',
  sku: 'W-1',
  quantity: 3,
  unitPrice: 1999,
  discountPercent: 10,
  taxPercent: 21,
};

describe('sending quotations by WhatsApp and logging sends on the deal timeline', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: JobWorker;
  let acme: TestTenant;
  let other: TestTenant;
  let key: TenantClient;
  let db: TenantDb;
  let pipeline: TestPipeline;
  let agents: { A: string; B: string };
  let asAgentB: TenantClient;

  const settled = () => waitForIdle(t, acme.tenant.id);
  /** A customer message from `waId` (the phone without `+`): opens the 24-hour window. */
  const customerWrites = async (waId: string, wamid: string) => {
    const { body, headers } = signedRequest(
      webhook({
        changes: [
          change({ phoneNumberId, messages: [inbound(wamid, waId, 'text', { text: { body: 'price?' } })] }),
        ],
      }),
    );
    expect((await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body })).status).toBe(200);
    await settled();
  };
  const leadWithPhone = async (phone: string | null, ownerAgentId?: string) => {
    const owner = ownerAgentId ? { assignedAgentId: ownerAgentId } : { assign: false };
    const lead = dataOf(
      await key.post('/leads', { name: 'Buyer', ...(phone ? { phone } : {}), ...owner }),
      201,
    );
    return lead.lead.id as string;
  };
  /** A deal of agent A (linked to `leadId`) with a draft quotation. */
  const quotationFor = async (leadId: string | null) => {
    const deal = await addDeal(db, pipeline, { ownerAgentId: agents.A, leadId });
    const q = dataOf(await key.post(`/deals/${deal.id}/quotations`, { lines: [line] }), 201);
    return { deal, q: q as { id: string; ref: string } };
  };
  const timeline = (dealId: string) =>
    db
      .selectFrom('deal_activities')
      .selectAll()
      .where('deal_id', '=', dealId)
      .where('kind', '=', 'quotation_sent')
      .orderBy('id')
      .execute();

  beforeAll(async () => {
    graph = await new FakeGraphApi('acme-token').start();
    smtp = await startSmtpSink({ user: 'mailer', password: 'secret' });
    t = await startTestApp({ ROLE: 'web', META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl });
    worker = await startWorker(t, [processEventJob, sendQuotationJobDefinition]);
    acme = await t.createTenant('acme');
    other = await t.createTenant('other');
    key = t.crm(acme);
    db = (await tenantHandle(t, acme.tenant.id)).db;
    const whatsapp = await t.request('/api/platform/tenants/acme/secrets/whatsapp', {
      method: 'PUT',
      headers: admin,
      body: {
        phoneNumberIds: [phoneNumberId],
        wabaId: 'WABA19',
        accessToken: 'acme-token',
        verifyToken: 'v',
      },
    });
    expect(whatsapp.status).toBe(200);
    const mail = await t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: admin,
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'mailer',
        password: 'secret',
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
    expect(mail.status).toBe(200);
    agents = {
      A: dataOf(await key.post('/agents', { name: 'Agent A' }), 201).id,
      B: dataOf(await key.post('/agents', { name: 'Agent B' }), 201).id,
    };
    const userB = await addTestUser(t, acme, { role: 'agent', agentId: agents.B });
    asAgentB = tenantClient(t.request, '/api/crm', userB.headers);
    pipeline = await addDealPipeline(db, { name: 'Send tests' });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await graph?.close();
    await smtp?.close();
  });

  it("sends the PDF as a WhatsApp document to the lead's phone, once, recorded in its conversation", async () => {
    const customer = '34600111222';
    // Owned: the customer's message opens a WhatsApp signal for agent A.
    const leadId = await leadWithPhone(`+${customer}`, agents.A);
    const { deal, q } = await quotationFor(leadId);
    await customerWrites(customer, 'wamid.IN19A');
    const signals = async () => dataOf(await key.get(`/signals?leadId=${leadId}&type=whatsapp`)).items;
    expect(await signals()).toEqual([expect.objectContaining({ status: 'pending' })]);
    const uploadsBefore = graph.uploads.length;
    // The first document send fails on Meta's side (a 500): the job is retried, the upload is not.
    graph.sendErrors.push({ status: 500, code: 1, message: 'An unknown error occurred' });

    const sent = dataOf(await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp' }), 202);
    expect(sent).toMatchObject({
      channel: 'whatsapp',
      to: `+${customer}`,
      messageId: expect.any(String),
      quotation: { status: 'shared' },
    });
    // Sending it answered the customer: the WhatsApp signal is resolved, by the sender.
    expect(await signals()).toEqual([expect.objectContaining({ status: 'resolved', resolution: 'replied' })]);
    const jobs = await settled();
    const job = jobs.find((row) => String(row.id) === sent.jobId)!;
    expect(job).toMatchObject({ kind: 'quotations.send', status: 'succeeded', attempts: 2 });
    expect(job.payload).toMatchObject({ channel: 'whatsapp', to: `+${customer}`, messageId: sent.messageId });

    // One upload, as Meta documents it: multipart, messaging_product, type, the PDF as `file`.
    const uploads = graph.uploads.slice(uploadsBefore);
    expect(uploads).toHaveLength(1);
    const upload = uploads[0]!;
    expect(upload).toMatchObject({
      phoneNumberId,
      messagingProduct: 'whatsapp',
      type: 'application/pdf',
      filename: `${q.ref}.pdf`,
    });
    expect(upload.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(upload.body)).toContain(`Quotation ${q.ref} (version 1)`);

    // Two document sends (the failed one, the retry), both by the uploaded media id.
    const documentSends = graph.requests.filter(
      (request) => request.path.endsWith('/messages') && request.body?.type === 'document',
    );
    expect(documentSends).toHaveLength(2);
    for (const request of documentSends) {
      expect(request.path).toMatch(new RegExp(`^/v\\d+\\.\\d+/${phoneNumberId}/messages$`));
      expect(request.body).toMatchObject({
        messaging_product: 'whatsapp',
        to: customer,
        type: 'document',
        document: {
          id: upload.id,
          filename: `${q.ref}.pdf`,
          caption: `Quotation ${q.ref} (version 1) from ${acme.tenant.name}`,
        },
        biz_opaque_callback_data: sent.messageId,
      });
    }

    // The outbound message in the customer's conversation, with its wamid; statuses follow webhooks.
    const conversations = dataOf(await key.get('/conversations')).items as { id: string; waId: string }[];
    const conversation = conversations.find((c) => c.waId === customer)!;
    const messages = dataOf(await key.get(`/conversations/${conversation.id}/messages`)).items;
    expect(messages[0]).toMatchObject({
      id: sent.messageId,
      direction: 'outbound',
      type: 'document',
      status: 'accepted',
      wamid: expect.stringMatching(/^wamid\.SENT/),
      hasMedia: true,
      body: `Quotation ${q.ref} (version 1) from ${acme.tenant.name}`,
    });
    const { body, headers } = signedRequest(
      webhook({
        changes: [change({ phoneNumberId, statuses: [status(messages[0].wamid, 'delivered', customer)] })],
      }),
    );
    await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
    await settled();
    const after = dataOf(await key.get(`/conversations/${conversation.id}/messages`)).items;
    expect(after[0]).toMatchObject({ id: sent.messageId, status: 'delivered' });

    // Logged on the deal's timeline once.
    expect(await timeline(deal.id)).toEqual([
      expect.objectContaining({
        kind: 'quotation_sent',
        actor_type: 'api_key',
        data: expect.objectContaining({
          quotationId: q.id,
          ref: q.ref,
          version: 1,
          channel: 'whatsapp',
          to: `+${customer}`,
        }),
      }),
    ]);

    // The job run again (a retry after its send went out): nothing uploaded, sent or logged twice.
    const requests = graph.requests.length;
    const again = await jobContext(t, acme.tenant.id, job.kind, job.payload, { id: sent.jobId, attempt: 3 });
    await sendQuotationJobDefinition.handler(again as never);
    expect(graph.requests.length).toBe(requests);
    expect(await timeline(deal.id)).toHaveLength(1);
  });

  it('leaves the message failed when the send job dies before the document went out', async () => {
    const customer = '34600111777';
    const { deal, q } = await quotationFor(await leadWithPhone(`+${customer}`));
    await customerWrites(customer, 'wamid.IN19E');
    const uploadsBefore = graph.uploads.length;
    for (let n = 0; n < 10; n++)
      graph.sendErrors.push({ status: 503, code: 2, message: 'Service unavailable' });

    const sent = dataOf(await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp' }), 202);
    await settled();
    expect(await jobRow(t, acme.tenant.id, sent.jobId)).toMatchObject({ status: 'dead', attempts: 10 });
    expect(graph.sendErrors).toEqual([]);
    expect(graph.uploads.length - uploadsBefore).toBe(1);
    const message = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', sent.messageId)
      .executeTakeFirstOrThrow();
    expect(message).toMatchObject({ status: 'failed', wamid: null, type: 'document' });
    expect(message.errors).toEqual([expect.objectContaining({ reason: 'job_dead' })]);
    expect(await timeline(deal.id)).toEqual([]);
  });

  it('refuses a document outside the 24-hour window with 409, before queueing anything', async () => {
    const never = await leadWithPhone('+34600111333');
    const { deal, q } = await quotationFor(never);
    // A customer's message also sets their signal's SLA timer (signals component): not counted.
    const sends = async () => (await settled()).filter((job) => job.kind !== 'signals.sla_breach');
    const jobsBefore = (await sends()).length;
    const outbound = () =>
      db.selectFrom('messages').select('id').where('direction', '=', 'outbound').execute();
    const outboundBefore = (await outbound()).length;

    const refused = await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('outside_customer_service_window');

    // Wrote, but 25 hours ago.
    await customerWrites('34600111444', 'wamid.IN19B');
    await db
      .updateTable('conversations')
      .set({ last_inbound_at: sql<Date>`now() - interval '25 hours'` })
      .where('wa_id', '=', '34600111444')
      .execute();
    const late = await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp', to: '+34600111444' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('outside_customer_service_window');

    expect(dataOf(await key.get(`/quotations/${q.id}`)).status).toBe('draft');
    expect((await sends()).length).toBe(jobsBefore + 1); // the inbound event's job only
    expect(await outbound()).toHaveLength(outboundBefore);
    expect(
      await db
        .selectFrom('messages')
        .select('id')
        .where('type', '=', 'document')
        .where('status', '=', 'queued')
        .execute(),
    ).toEqual([]);
    expect(await timeline(deal.id)).toEqual([]);
  });

  it('answers 400 naming `to` when neither the lead nor a contact has a phone, and 409 without WhatsApp', async () => {
    const { q } = await quotationFor(null);
    const none = await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp' });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('validation_failed');
    expect(none.body.error.details).toEqual([expect.objectContaining({ path: 'body.to' })]);
    const invalid = await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp', to: 'not a phone' });
    expect(invalid.status).toBe(400);
    expect(
      (await key.post(`/quotations/${q.id}/send`, { channel: 'whatsapp', to: 'buyer@example.test' })).status,
    ).toBe(400);

    // A tenant without WhatsApp settings.
    const otherDb = (await tenantHandle(t, other.tenant.id)).db;
    const otherDeal = await addDeal(otherDb, await addDealPipeline(otherDb), {});
    const otherQ = dataOf(
      await t.crm(other).post(`/deals/${otherDeal.id}/quotations`, { lines: [line] }),
      201,
    );
    const unconfigured = await t
      .crm(other)
      .post(`/quotations/${otherQ.id}/send`, { channel: 'whatsapp', to: '+34600111222' });
    expect(unconfigured.status).toBe(409);
    expect(unconfigured.body.error.code).toBe('channel_not_configured');
  });

  it('is 404 for a quotation of a deal the caller does not see (other tenant, other agent)', async () => {
    const leadId = await leadWithPhone('+34600111555');
    const { deal, q } = await quotationFor(leadId);
    await customerWrites('34600111555', 'wamid.IN19C');
    const body = { channel: 'whatsapp', to: '+34600111555' };
    const stranger = await t.crm(other).post(`/quotations/${q.id}/send`, body);
    expect(stranger.status).toBe(404);
    const agentB = await asAgentB.post(`/quotations/${q.ref}/send`, body);
    expect(agentB.status, agentB.text).toBe(404);
    expect(dataOf(await key.get(`/quotations/${q.id}`)).status).toBe('draft');
    expect(await timeline(deal.id)).toEqual([]);
  });

  it('masks the recipient in the answer for a caller without pii.read', async () => {
    await db
      .insertInto('roles')
      .values({ key: 'sends_masked', name: 'No PII', grants: ['leads.read:all', 'leads.write:all'] } as never)
      .execute();
    const masked = tenantClient(
      t.request,
      '/api/crm',
      (await addTestUser(t, acme, { role: 'sends_masked' })).headers,
    );
    const leadId = await leadWithPhone('+34600111666');
    await customerWrites('34600111666', 'wamid.IN19D');
    const byWhatsApp = dataOf(
      await masked.post(`/quotations/${(await quotationFor(leadId)).q.id}/send`, { channel: 'whatsapp' }),
      202,
    );
    expect(byWhatsApp.to).not.toContain('600111');
    expect(byWhatsApp.to).toMatch(/^\+34•+1666$/);
    const byEmail = dataOf(
      await masked.post(`/quotations/${(await quotationFor(null)).q.id}/send`, {
        channel: 'email',
        to: 'buyer@example.test',
      }),
      202,
    );
    expect(byEmail.to).toBe('b•••@e•••.test');
    await settled();
  });

  it('logs an email send on the deal timeline when its job succeeds', async () => {
    const { deal, q } = await quotationFor(null);
    const sent = dataOf(
      await key.post(`/quotations/${q.id}/send`, { channel: 'email', to: 'buyer@example.test' }),
      202,
    );
    expect(sent).not.toHaveProperty('messageId');
    await settled();
    expect(await jobRow(t, acme.tenant.id, sent.jobId)).toMatchObject({ status: 'succeeded' });
    expect(smtp.received.at(-1)!.to).toEqual(['buyer@example.test']);
    expect(await timeline(deal.id)).toEqual([
      expect.objectContaining({
        kind: 'quotation_sent',
        data: expect.objectContaining({
          quotationId: q.id,
          ref: q.ref,
          version: 1,
          channel: 'email',
          to: 'buyer@example.test',
          jobId: sent.jobId,
        }),
      }),
    ]);
  });
});
