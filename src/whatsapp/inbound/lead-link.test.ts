import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeadEvent } from '../../leads/lead-events.js';
import { startWorker, waitForIdle } from '../../testing/job-queue.js';
import type { JobWorker } from '../../queue/job-worker.js';
import { runJob, tenantHandle } from '../../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { change, inbound, signedRequest, testAppSecret, webhook } from '../testing/meta-payloads.js';
import { processEventJob } from '../whatsapp.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const acmeNumber = '1000001';

describe('WhatsApp sender → CRM lead', () => {
  let t: TestApp;
  let acme: TestTenant;
  let agentId: string;
  let worker: JobWorker | undefined;
  const events: LeadEvent[] = [];

  const post = async (from: string, wamid: string, text: string, contactName?: string) => {
    const { body, headers } = signedRequest(
      webhook({
        changes: [
          change({
            phoneNumberId: acmeNumber,
            messages: [inbound(wamid, from, 'text', { text: { body: text } })],
            contactName,
          }),
        ],
      }),
    );
    const res = await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
    expect(res.status).toBe(200);
  };
  const db = async () => (await tenantHandle(t, acme.tenant.id)).db;

  beforeAll(async () => {
    // ROLE=web: the jobs wait in the real queue until a test runs them.
    t = await startTestApp({ ROLE: 'web', META_APP_SECRET: testAppSecret, META_VERIFY_TOKEN: 'verify' });
    acme = await t.createTenant('acme', { defaultCountry: 'IN' });
    const secret = await t.request('/api/platform/tenants/acme/secrets/whatsapp', {
      method: 'PUT',
      headers: admin,
      body: {
        wabaId: '1',
        phoneNumberIds: [acmeNumber],
        accessToken: 'token',
        verifyToken: 'acme-verify',
        graphApiVersion: 'v23.0',
      },
    });
    expect(secret.status).toBe(200);
    const agent = await t.crm(acme).post('/agents', { name: 'Meera Shah' });
    expect(agent.status).toBe(201);
    agentId = agent.body.data.id;
    t.app.services.leadEvents.subscribe((event) => void events.push(event));
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  it('creates one assigned whatsapp lead when two messages of a new sender are processed at once', async () => {
    await post('919876543210', 'wamid.RACE.1', 'Hi', 'Asha Verma');
    await post('919876543210', 'wamid.RACE.2', 'Is it available?', 'Asha Verma');
    const eventIds = (await (await db()).selectFrom('whatsapp_events').select('id').execute()).map(
      (e) => e.id,
    );
    expect(eventIds).toHaveLength(2);
    await Promise.all(eventIds.map((eventId) => runJob(t, processEventJob, acme.tenant.id, { eventId })));

    const leads = await (await db()).selectFrom('leads').selectAll().execute();
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      phone: '+919876543210',
      source: 'whatsapp',
      first_name: 'Asha',
      last_name: 'Verma',
      assigned_agent_id: agentId,
    });
    const conversations = await (await db()).selectFrom('conversations').selectAll().execute();
    expect(conversations).toMatchObject([{ wa_id: '919876543210', lead_id: leads[0]!.id }]);
    expect(events.filter((e) => e.name === 'lead.created')).toHaveLength(1);
    expect(events.filter((e) => e.name === 'lead.assigned')).toHaveLength(1);

    const received = events.filter((e) => e.name === 'lead.whatsapp_message_received');
    expect(received.map((e) => e.data?.body).sort()).toEqual(['Hi', 'Is it available?']);
    for (const event of received) {
      expect(event).toMatchObject({
        tenantId: acme.tenant.id,
        lead: { id: leads[0]!.id, assignedAgentId: agentId },
        data: { conversationId: conversations[0]!.id, type: 'text', messageId: expect.any(String) },
      });
    }

    const list = await t.crm(acme).get('/conversations');
    expect(list.body.data.items).toMatchObject([
      { waId: '919876543210', leadId: leads[0]!.id, assignedAgent: { id: agentId, name: 'Meera Shah' } },
    ]);
  });

  it('links a sender to the lead that already has the number, through the real queue and worker', async () => {
    const existing = await t
      .crm(acme)
      .post('/leads', { name: 'Ravi Kumar', phone: '98765 00001', source: 'website' });
    expect(existing.status).toBe(201);
    const lead = existing.body.data.lead;
    const before = events.length;
    await post('919876500001', 'wamid.KNOWN.1', 'Hello again');
    worker = await startWorker(t, [processEventJob]);
    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(jobs.filter((job) => job.kind === processEventJob.kind).map((job) => job.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);

    const conversation = await (
      await db()
    )
      .selectFrom('conversations')
      .selectAll()
      .where('wa_id', '=', '919876500001')
      .executeTakeFirstOrThrow();
    expect(conversation.lead_id).toBe(lead.id);
    expect(
      await (await db()).selectFrom('leads').select('source').where('id', '=', lead.id).execute(),
    ).toEqual([{ source: 'website' }]);
    const added = events.slice(before);
    expect(added.some((e) => e.name === 'lead.created')).toBe(false);
    expect(added.filter((e) => e.name === 'lead.whatsapp_message_received')).toMatchObject([
      { lead: { id: lead.id }, data: { body: 'Hello again', conversationId: conversation.id } },
    ]);
  });

  it('keeps a sender whose wa_id is not a phone number without a lead', async () => {
    await post('555', 'wamid.NOPHONE', 'odd sender');
    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(
      jobs.filter((job) => job.kind === processEventJob.kind).every((job) => job.status === 'succeeded'),
    ).toBe(true);
    const conversation = await (
      await db()
    )
      .selectFrom('conversations')
      .selectAll()
      .where('wa_id', '=', '555')
      .executeTakeFirstOrThrow();
    expect(conversation.lead_id).toBeNull();
    const list = await t.crm(acme).get('/conversations');
    expect(list.body.data.items.find((c: { waId: string }) => c.waId === '555')).toMatchObject({
      leadId: null,
      assignedAgent: null,
    });
  });

  it('fires the whatsapp_message_received automation trigger once per message, also on redelivery', async () => {
    const rule = await t.automations(acme).post('/rules', {
      name: 'Tag WhatsApp senders',
      trigger: 'whatsapp_message_received',
      conditions: [{ field: 'variables.messageBody', op: 'contains', value: 'price' }],
      actions: [{ type: 'add_tag', tag: 'asked-price' }],
    });
    expect(rule.status).toBe(201);
    await post('919876500002', 'wamid.PRICE.1', 'What is the price?', 'Kiran Rao');
    await post('919876500002', 'wamid.PRICE.1', 'What is the price?', 'Kiran Rao'); // Meta redelivers
    await post('919876500002', 'wamid.PRICE.2', 'Thanks', 'Kiran Rao');
    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(
      jobs.filter((job) => job.kind === processEventJob.kind).every((job) => job.status === 'succeeded'),
    ).toBe(true);

    const lead = await (
      await db()
    )
      .selectFrom('leads')
      .select(['id', 'tags'])
      .where('phone', '=', '+919876500002')
      .executeTakeFirstOrThrow();
    expect(lead.tags).toEqual(['asked-price']);
    const runs = await t.automations(acme).get(`/runs?ruleId=${rule.body.data.id}`);
    expect(runs.status).toBe(200);
    expect(runs.body.data.items).toHaveLength(1);
  });
});
