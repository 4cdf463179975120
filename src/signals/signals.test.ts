import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeGraphApi } from '../testing/fake-graph-api.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { addTestTeam, addTestUser, type TestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { RetryLaterError } from '../queue/job-types.js';
import { change, inbound, testAppSecret, webhook } from '../whatsapp/testing/meta-payloads.js';
import { webhookClient } from '../whatsapp/testing/webhook-client.js';
import { processEventJob } from '../whatsapp/whatsapp.jobs.js';
import { queueOutboundMessage } from '../whatsapp/index.js';
import { signalRef } from './signal.mapper.js';
import { slaBreachJob } from './signals.jobs.js';

const phoneNumberId = '5000005';
/** Friday 6 March 2026, 16:30 in London (GMT): half an hour of the team's working day left. */
const fridayLate = Date.parse('2026-03-06T16:30:00Z');
const seconds = (ms: number) => String(Math.floor(ms / 1000));

describe('signals', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let tenant: TestTenant;
  let key: TenantClient;
  let agents: { A: string; B: string };
  let users: { A: TestUser; B: TestUser; manager: TestUser };
  let as: { A: TenantClient; B: TenantClient; manager: TenantClient };
  let wamids = 0;

  const { setWhatsApp, post } = webhookClient(() => t);
  const db = async () => (await tenantHandle(t, tenant.tenant.id)).db;

  /** Delivers one inbound text from `waId` through the signed webhook, then runs its processing. */
  async function deliver(waId: string, body: string, at: number, wamid = `wamid.SIG${++wamids}`) {
    const message = { ...inbound(wamid, waId, 'text', { text: { body } }), timestamp: seconds(at) };
    const res = await post(webhook({ changes: [change({ phoneNumberId, messages: [message] })] }));
    expect(res.status, res.text).toBe(200);
    const event = await (
      await db()
    )
      .selectFrom('whatsapp_events')
      .select('id')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await runJob(t, processEventJob, tenant.tenant.id, { eventId: event.id });
    return wamid;
  }

  let phones = 0;
  /** A lead of `owner` (null: unassigned) and the WhatsApp id its customer writes from. */
  async function leadOf(owner: string | null) {
    const waId = `1415556${String(++phones).padStart(4, '0')}`;
    const { lead } = dataOf(
      await key.post('/leads', {
        name: `Signal lead ${phones}`,
        phone: `+${waId}`,
        ...(owner ? { assignedAgentId: owner } : { assign: false }),
      }),
      201,
    );
    return { id: lead.id as string, waId };
  }

  const signalsOf = async (query: string, client = key) =>
    dataOf(await client.get(`/signals?limit=200&${query}`)).items as any[];
  const idsOf = async (query: string, client = key) =>
    (await signalsOf(query, client)).map((s) => s.id).sort();

  beforeAll(async () => {
    graph = await new FakeGraphApi('sig-token').start();
    t = await startTestApp({ ROLE: 'web', META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl });
    tenant = await t.createTenant('signals');
    key = t.crm(tenant);
    const set = await setWhatsApp(tenant.tenant.clientCode, {
      phoneNumberIds: [phoneNumberId],
      wabaId: 'WABA-SIG',
      accessToken: 'sig-token',
      verifyToken: 'v',
    });
    expect(set.status, set.text).toBe(200);
    agents = {
      A: dataOf(await key.post('/agents', { name: 'Agent A', dailyLimit: 500 }), 201).id,
      B: dataOf(await key.post('/agents', { name: 'Agent B', dailyLimit: 500 }), 201).id,
    };
    const team = await addTestTeam(t, tenant, 'Team A');
    users = {
      A: await addTestUser(t, tenant, { role: 'agent', agentId: agents.A, teamIds: [team], name: 'Ann' }),
      B: await addTestUser(t, tenant, { role: 'agent', agentId: agents.B }),
      manager: await addTestUser(t, tenant, { role: 'manager', teamIds: [team] }),
    };
    as = {
      A: tenantClient(t.request, '/api/crm', users.A.headers),
      B: tenantClient(t.request, '/api/crm', users.B.headers),
      manager: tenantClient(t.request, '/api/crm', users.manager.headers),
    };
    // A's team works 09:00–17:00 London time, Monday to Friday.
    const day: [string, string][] = [['09:00', '17:00']];
    dataOf(
      await key.post('/calendars', {
        name: 'Team A hours',
        teamId: team,
        timezone: 'Europe/London',
        intervals: { mon: day, tue: day, wed: day, thu: day, fri: day },
        holidays: [],
      }),
      201,
    );
    await (
      await db()
    )
      .insertInto('whatsapp_templates')
      .values({
        name: 'follow_up',
        language: 'en',
        template_id: 'tpl-1',
        status: 'APPROVED',
        category: 'UTILITY',
        parameter_format: null,
        components: JSON.stringify([]),
        status_reason: null,
        status_info: null,
        quality_score: null,
        status_webhook_at: null,
      })
      .execute();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it('opens a signal for the owner on an inbound WhatsApp message, refreshes it, and a reply resolves it', async () => {
    const emit = vi.spyOn(t.app.services.realtime, 'emitForLead');
    try {
      const lead = await leadOf(agents.A);
      await deliver(lead.waId, 'Is it in stock?', fridayLate);

      const [opened] = await signalsOf(`leadId=${lead.id}`);
      // PT1H of business time on A's team calendar: 30 minutes on Friday, 30 on Monday morning.
      expect(opened).toMatchObject({
        type: 'whatsapp',
        record: { kind: 'lead', id: lead.id },
        ownerId: agents.A,
        content: 'Is it in stock?',
        inboundCount: 1,
        status: 'pending',
        slaSeconds: 3600,
        slaDeadline: '2026-03-09T09:30:00.000Z',
        breached: true,
        openedAt: '2026-03-06T16:30:00.000Z',
        lastInboundAt: '2026-03-06T16:30:00.000Z',
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
      });
      expect(opened.ref).toMatch(/^SIG-\d{5}$/);
      expect(opened.source).toMatchObject({ kind: 'conversation' });
      expect(emit.mock.calls.filter(([, , event]) => event === 'signal.opened')).toEqual([
        [tenant.tenant.id, agents.A, 'signal.opened', { signal: expect.objectContaining({ id: opened.id }) }],
      ]);

      // A second message refreshes the same signal; the deadline stays. Meta's redelivery of it
      // counts nothing more.
      const second = await deliver(lead.waId, 'Hello?', fridayLate + 20 * 60_000);
      await deliver(lead.waId, 'Hello?', fridayLate + 20 * 60_000, second);
      const refreshed = await signalsOf(`leadId=${lead.id}`);
      expect(refreshed).toHaveLength(1);
      expect(refreshed[0]).toMatchObject({
        id: opened.id,
        inboundCount: 2,
        content: 'Hello?',
        slaDeadline: '2026-03-09T09:30:00.000Z',
        openedAt: '2026-03-06T16:30:00.000Z',
        lastInboundAt: '2026-03-06T16:50:00.000Z',
      });

      // The breach timer was queued with the signal, at its deadline, once (not again on refresh).
      const timers = await t.app.services.platform
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', tenant.tenant.id)
        .where('kind', '=', 'signals.sla_breach')
        .execute();
      const mine = timers.filter((job) => (job.payload as { signalId: string }).signalId === opened.id);
      expect(mine).toHaveLength(1);
      expect(new Date(mine[0]!.run_at).toISOString()).toBe('2026-03-09T09:30:00.000Z');

      // An automation's send (no person) does not answer it.
      const conversation = dataOf(await key.get('/conversations?limit=200')).items.find(
        (c: any) => c.leadId === lead.id,
      );
      await queueOutboundMessage(t.app.services, await tenantHandle(t, tenant.tenant.id), conversation.id, {
        type: 'template',
        template: { name: 'follow_up', language: 'en', components: [] },
      });
      expect(dataOf(await key.get(`/signals/${opened.id}`)).status).toBe('pending');

      // A's reply does.
      const reply = await as.A.post(`/conversations/${conversation.id}/messages`, {
        type: 'template',
        template: { name: 'follow_up', language: 'en' },
      });
      expect(reply.status, reply.text).toBe(202);
      const resolved = dataOf(await key.get(`/signals/${opened.ref}`));
      expect(resolved).toMatchObject({
        id: opened.id,
        status: 'resolved',
        breached: false,
        resolution: 'replied',
        resolvedBy: { type: 'user', id: users.A.id, name: 'Ann' },
      });
      expect(resolved.resolvedAt).not.toBeNull();
      expect(emit.mock.calls.filter(([, , event]) => event === 'signal.resolved')).toHaveLength(1);

      // The next message opens a new signal.
      await deliver(lead.waId, 'Thanks, one more thing', fridayLate + 60 * 60_000);
      const all = await signalsOf(`leadId=${lead.id}&sort=openedAt&order=asc`);
      expect(all.map((s) => [s.status, s.inboundCount])).toEqual([
        ['resolved', 2],
        ['pending', 1],
      ]);
    } finally {
      emit.mockRestore();
    }
  });

  it('opens no signal for a lead without an owner', async () => {
    const lead = await leadOf(null);
    await deliver(lead.waId, 'Anyone there?', fridayLate);
    expect(await signalsOf(`leadId=${lead.id}`)).toEqual([]);
    const messages = await (
      await db()
    )
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select('messages.id')
      .where('conversations.lead_id', '=', lead.id)
      .execute();
    expect(messages).toHaveLength(1);
  });

  it('notifies the breach once, at the deadline, and never for a resolved signal', async () => {
    const lead = await leadOf(agents.A);
    await deliver(lead.waId, 'Waiting', fridayLate);
    const [signal] = await signalsOf(`leadId=${lead.id}`);
    const emit = vi.spyOn(t.app.services.realtime, 'emitForLead');
    try {
      await runJob(t, slaBreachJob, tenant.tenant.id, { signalId: signal.id });
      await runJob(t, slaBreachJob, tenant.tenant.id, { signalId: signal.id });
      const breaches = emit.mock.calls.filter(([, , event]) => event === 'signal.breached');
      expect(breaches).toEqual([
        [
          tenant.tenant.id,
          agents.A,
          'signal.breached',
          { signal: expect.objectContaining({ id: signal.id, breached: true }) },
        ],
      ]);

      // A signal whose deadline is ahead: the job, claimed early, comes back at the instant.
      const ahead = dataOf(
        await key.post('/signals', { type: 'system', leadId: lead.id, content: 'Call back' }),
        201,
      );
      expect(ahead.breached).toBe(false);
      await expect(runJob(t, slaBreachJob, tenant.tenant.id, { signalId: ahead.id })).rejects.toBeInstanceOf(
        RetryLaterError,
      );

      // Resolved before its deadline passed (here: moved into the past after): no notice.
      dataOf(await as.A.post(`/signals/${ahead.ref}/resolve`, { note: 'called' }));
      await (
        await db()
      )
        .updateTable('signals')
        .set({ sla_deadline: new Date(Date.now() - 1000) })
        .where('id', '=', ahead.id)
        .execute();
      await runJob(t, slaBreachJob, tenant.tenant.id, { signalId: ahead.id });
      expect(emit.mock.calls.filter(([, , event]) => event === 'signal.breached')).toHaveLength(1);
    } finally {
      emit.mockRestore();
    }
  });

  describe('the list', () => {
    let tenantB: TestTenant;
    let other: TenantClient;
    let seeded: { breached: string; pending: string; resolved: string; unassigned: string; ofB: string };
    let leadA: string;

    beforeAll(async () => {
      // A tenant of its own, so the sets are exact.
      tenantB = await t.createTenant('signals_list');
      other = t.crm(tenantB);
      const agent = dataOf(await other.post('/agents', { name: 'Only', dailyLimit: 50 }), 201).id;
      const agentB = dataOf(await other.post('/agents', { name: 'Other', dailyLimit: 50 }), 201).id;
      const newLead = async (owner: string | null, n: number) =>
        dataOf(
          await other.post('/leads', {
            name: `List ${n}`,
            phone: `+141555700${String(n).padStart(2, '0')}`,
            ...(owner ? { assignedAgentId: owner } : { assign: false }),
          }),
          201,
        ).lead.id as string;
      leadA = await newLead(agent, 1);
      const open = async (leadId: string, type: 'system' | 'email') =>
        dataOf(await other.post('/signals', { type, leadId, content: `${type} of ${leadId}` }), 201)
          .id as string;
      const breached = await open(leadA, 'system');
      const pending = await open(leadA, 'email');
      const resolved = await open(await newLead(agent, 2), 'system');
      const unassigned = await open(await newLead(null, 3), 'system');
      const ofB = await open(await newLead(agentB, 4), 'system');
      dataOf(await other.post(`/signals/${resolved}/resolve`, {}));
      const { db } = await tenantHandle(t, tenantB.tenant.id);
      await db
        .updateTable('signals')
        .set({ sla_deadline: new Date(Date.now() - 60_000), opened_at: new Date('2026-01-01T00:00:00Z') })
        .where('id', '=', breached)
        .execute();
      seeded = { breached, pending, resolved, unassigned, ofB };
    });

    it('filters to exactly the pending, breached and resolved sets', async () => {
      const s = seeded;
      const sorted = (...ids: string[]) => ids.sort();
      expect(await idsOf('status=pending', other)).toEqual(
        sorted(s.breached, s.pending, s.unassigned, s.ofB),
      );
      expect(await idsOf('breached=true', other)).toEqual([s.breached]);
      expect(await idsOf('status=pending&breached=true', other)).toEqual([s.breached]);
      expect(await idsOf('status=pending&breached=false', other)).toEqual(
        sorted(s.pending, s.unassigned, s.ofB),
      );
      expect(await idsOf('breached=false', other)).toEqual(
        sorted(s.pending, s.resolved, s.unassigned, s.ofB),
      );
      expect(await idsOf('status=resolved', other)).toEqual([s.resolved]);
      expect(await idsOf('ownerId=unassigned', other)).toEqual([s.unassigned]);
      expect(await idsOf('type=email', other)).toEqual([s.pending]);
      expect(await idsOf(`leadId=${leadA}`, other)).toEqual(sorted(s.breached, s.pending));
      expect(await idsOf('openedTo=2026-02-01T00:00:00Z', other)).toEqual([s.breached]);
      expect(await idsOf('openedFrom=2026-02-01T00:00:00Z&status=pending', other)).toEqual(
        sorted(s.pending, s.unassigned, s.ofB),
      );
      expect(await idsOf(`resolvedFrom=${new Date(Date.now() - 3_600_000).toISOString()}`, other)).toEqual([
        s.resolved,
      ]);
      expect(await idsOf('resolvedTo=2026-01-01T00:00:00Z', other)).toEqual([]);
      const page = dataOf(await other.get('/signals?breached=true'));
      expect(page.total).toBe(1);

      const byDeadline = await signalsOf('sort=slaDeadline&order=asc&status=pending', other);
      expect(byDeadline[0].id).toBe(s.breached);
      const deadlines = byDeadline.map((row) => Date.parse(row.slaDeadline));
      expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));

      // Pages of one walk the same list.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = dataOf(
          await other.get(
            `/signals?limit=1&status=pending${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          ),
        );
        walked.push(...res.items.map((row: any) => row.id));
        cursor = res.nextCursor;
      } while (cursor);
      expect(walked).toEqual((await signalsOf('status=pending', other)).map((row) => row.id));
    });

    it('finds a signal by uuid or reference, and not from another tenant', async () => {
      const signal = dataOf(await other.get(`/signals/${seeded.pending}`));
      expect(signal.ref).toMatch(/^SIG-\d{5}$/);
      expect(dataOf(await other.get(`/signals/${signal.ref}`)).id).toBe(signal.id);
      expect(dataOf(await other.get(`/signals/${signal.ref.toLowerCase()}`)).id).toBe(signal.id);
      expect(dataOf(await other.get(`/signals/SIG-${Number(signal.ref.slice(4))}`)).id).toBe(signal.id);
      const foreign = await key.get(`/signals/${signal.id}`);
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe('not_found');
      expect((await key.post(`/signals/${signal.id}/resolve`, {})).status).toBe(404);
      expect((await other.get(`/signals/${signal.id}`)).body.data.status).toBe('pending');
    });
  });

  it('shows an agent their own signals and a manager their team’s', async () => {
    const ofA = await leadOf(agents.A);
    const ofB = await leadOf(agents.B);
    const signalA = dataOf(await key.post('/signals', { type: 'system', leadId: ofA.id, content: 'A' }), 201);
    const signalB = dataOf(await key.post('/signals', { type: 'system', leadId: ofB.id, content: 'B' }), 201);

    const owners = async (client: TenantClient) =>
      new Set((await signalsOf('', client)).map((s) => s.ownerId));
    expect(await owners(as.A)).toEqual(new Set([agents.A]));
    expect(await owners(as.B)).toEqual(new Set([agents.B]));
    expect(await owners(as.manager)).toEqual(new Set([agents.A]));
    expect(await owners(key)).toEqual(new Set([agents.A, agents.B]));

    expect((await as.B.get(`/signals/${signalA.id}`)).status).toBe(404);
    expect((await as.manager.get(`/signals/${signalB.ref}`)).status).toBe(404);
    expect((await as.B.post(`/signals/${signalA.id}/resolve`, {})).status).toBe(404);
    expect((await as.B.post('/signals', { type: 'system', leadId: ofA.id, content: 'x' })).status).toBe(404);
    expect(dataOf(await key.get(`/signals/${signalA.id}`)).status).toBe('pending');

    // A second one of the same type refreshes the pending one (200); the manager resolves it.
    const again = await as.manager.post('/signals', { type: 'system', leadId: ofA.id, content: 'again' });
    expect(again.status, again.text).toBe(200);
    expect(again.body.data).toMatchObject({ id: signalA.id, inboundCount: 2, content: 'again' });
    const done = dataOf(await as.manager.post(`/signals/${signalA.id}/resolve`, { note: 'handled' }));
    expect(done).toMatchObject({
      status: 'resolved',
      resolution: 'manual',
      resolutionNote: 'handled',
      resolvedBy: { type: 'user', id: users.manager.id },
    });
    const twice = await as.manager.post(`/signals/${signalA.id}/resolve`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('invalid_status_transition');
  });

  it('keeps an SLA per type, changed with settings.manage; open signals keep their deadline', async () => {
    expect(dataOf(await as.A.get('/signals/settings'))).toEqual({
      sla: { whatsapp: 'PT1H', call: 'PT1H', email: 'PT4H', system: 'PT4H' },
    });
    expect((await as.A.put('/signals/settings', { sla: { whatsapp: 'PT2H' } })).status).toBe(403);
    const lead = await leadOf(agents.A);
    await deliver(lead.waId, 'Before the change', fridayLate);
    const saved = dataOf(await key.put('/signals/settings', { sla: { whatsapp: 'PT2H', email: 'P1D' } }));
    expect(saved).toEqual({ sla: { whatsapp: 'PT2H', call: 'PT1H', email: 'P1D', system: 'PT4H' } });
    expect(dataOf(await as.A.get('/signals/settings'))).toEqual(saved);
    expect((await signalsOf(`leadId=${lead.id}`))[0].slaDeadline).toBe('2026-03-09T09:30:00.000Z');

    const later = await leadOf(agents.A);
    await deliver(later.waId, 'After the change', fridayLate);
    expect((await signalsOf(`leadId=${later.id}`))[0]).toMatchObject({
      slaSeconds: 7200,
      slaDeadline: '2026-03-09T10:30:00.000Z',
    });
    dataOf(await key.put('/signals/settings', { sla: { whatsapp: 'PT1H' } }));
  });

  it('refuses bad input with 400 and field paths', async () => {
    const bad = async (res: Promise<{ status: number; body: any }>, path: string) => {
      const { status, body } = await res;
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    };
    await bad(key.get('/signals?breached=maybe'), 'query.breached');
    await bad(key.get('/signals?ownerId=someone'), 'query.ownerId');
    await bad(key.get('/signals?status=open'), 'query.status');
    await bad(key.get('/signals?openedFrom=yesterday'), 'query.openedFrom');
    await bad(key.get('/signals?resolvedTo=99999-01-01T00:00:00Z'), 'query.resolvedTo');
    await bad(key.get('/signals?sort=priority'), 'query.sort');
    await bad(key.get('/signals?cursor=garbage!'), 'query.cursor');
    await bad(key.get('/signals/SIG-x1'), 'params.id');
    await bad(key.get('/signals/not-an-id'), 'params.id');
    await bad(key.post('/signals', { type: 'whatsapp', leadId: agents.A, content: 'x' }), 'body.type');
    await bad(key.post('/signals', { type: 'system', leadId: 'nope', content: 'x' }), 'body.leadId');
    await bad(key.post('/signals', { type: 'system', leadId: agents.A, content: '' }), 'body.content');
    await bad(key.post('/signals/SIG-1/resolve', { note: 'x'.repeat(2001) }), 'body.note');
    await bad(key.put('/signals/settings', { sla: { whatsapp: 'P1M' } }), 'body.sla.whatsapp');
    await bad(key.put('/signals/settings', { sla: { call: 'PT0S' } }), 'body.sla.call');
    await bad(key.put('/signals/settings', { sla: { fax: 'PT1H' } }), 'body.sla.fax');
    expect((await key.post('/signals', { type: 'system', leadId: agents.A, content: 'x' })).status).toBe(404);
    expect((await key.get('/signals/SIG-999999999')).status).toBe(404);
  });

  it("erases a signal's text with its lead's personal data", async () => {
    const lead = await leadOf(agents.A);
    await deliver(lead.waId, 'My address is 1 Main St', fridayLate);
    const [signal] = await signalsOf(`leadId=${lead.id}`);
    dataOf(await key.post(`/signals/${signal.id}/resolve`, { note: 'sent to 1 Main St' }));
    const erased = await key.post(`/leads/${lead.id}/erase`, {});
    expect(erased.status, erased.text).toBe(200);
    expect(dataOf(await key.get(`/signals/${signal.id}`))).toMatchObject({
      content: '[erased]',
      resolutionNote: '[erased]',
      status: 'resolved',
      inboundCount: 1,
    });
  });

  it("a new sender's lead enters a default lead pipeline whose first stage makes a task (the unit can enqueue)", async () => {
    const pipeline = dataOf(
      await key.post('/pipelines', {
        kind: 'lead',
        name: 'Inbound flow',
        isDefault: true,
        stages: [
          { name: 'New', taskTemplates: [{ key: 'reply', title: 'Answer the customer', sla: 'PT1H' }] },
        ],
      }),
      201,
    );
    try {
      const waId = '14155569999';
      await deliver(waId, 'Hello, is anyone there?', fridayLate);
      const lead = dataOf(await key.get(`/leads?q=${waId}`)).items[0];
      expect(lead).toMatchObject({ pipelineId: pipeline.id });
      const tasks = dataOf(await key.get(`/tasks?leadId=${lead.id}`)).items;
      expect(tasks).toMatchObject([
        { title: 'Answer the customer', templateKey: 'reply', sla: { duration: 'PT1H' } },
      ]);
    } finally {
      dataOf(await key.delete(`/pipelines/${pipeline.id}`));
    }
  });

  it('writes references zero-padded to five digits, longer past 99999', () => {
    expect(signalRef('1')).toBe('SIG-00001');
    expect(signalRef(99999)).toBe('SIG-99999');
    expect(signalRef('123456')).toBe('SIG-123456');
  });
});
