import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../auth/actors.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { loadTelephony, TelephonyError, twilioSignature } from '../telephony/index.js';
import { FakeTwilio, newSid, type FakeCallScript } from '../telephony/testing/fake-twilio.js';
import { fetchRecordingJob } from './calls.jobs.js';
import { placeCall } from './place-call.js';
import { reconcileStaleCalls } from './reconcile-calls.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const callerId = '+14155550100';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('calls', () => {
  let t: TestApp;
  let auto: FakeTwilio;
  let manual: FakeTwilio;
  /** Calls play out at once, callbacks delivered as they happen. */
  let live: TestTenant;
  /** Status callbacks wait for the test to deliver them (shuffled, duplicated). */
  let held: TestTenant;
  let key: TenantClient;
  let heldKey: TenantClient;
  const tokens = { live: 'live-auth-token-0123456789', held: 'held-auth-token-0123456789' };
  let phones = 0;
  const nextPhone = () => `+1415555${String(++phones).padStart(4, '0')}`;
  const events: { event: string; payload: any }[] = [];

  const accounts = { live: newSid('AC'), held: newSid('AC') };

  async function configure(tenant: TestTenant, fake: FakeTwilio, accountSid: string, authToken: string) {
    const put = await t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/secrets/twilio`, {
      method: 'PUT',
      headers: admin,
      body: { accountSid, authToken, callerIds: [callerId], apiBaseUrl: fake.baseUrl },
    });
    expect(put.status, put.text).toBe(200);
    // Calls at any hour of the test run; the calling-hours rule has its own tests (call-rules).
    const settings = await t
      .crm(tenant)
      .put('/call-settings', { callingHours: { start: '00:00', end: '24:00' } });
    expect(settings.status, settings.text).toBe(200);
    return accountSid;
  }

  async function agentOf(client: TenantClient, script: FakeCallScript, fake: FakeTwilio, name = 'Agent') {
    const phone = nextPhone();
    fake.script(phone, script);
    return {
      id: dataOf(await client.post('/agents', { name, phone, dailyLimit: 1000 }), 201).id as string,
      phone,
    };
  }

  async function leadOf(client: TenantClient, script: FakeCallScript, fake: FakeTwilio, owner?: string) {
    const phone = nextPhone();
    fake.script(phone, script);
    const { lead } = dataOf(
      await client.post('/leads', {
        name: `Caller ${phones}`,
        phone,
        ...(owner ? { assignedAgentId: owner } : { assign: false }),
      }),
      201,
    );
    return { id: lead.id as string, phone };
  }

  const callRow = async (tenant: TestTenant, id: string) =>
    (await tenantHandle(t, tenant.tenant.id)).db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    const account = (name: 'live' | 'held') => ({
      accountSid: accounts[name],
      authToken: tokens[name],
      callerIds: [callerId],
    });
    auto = await new FakeTwilio({ accounts: [account('live')], mode: 'auto' }).start();
    manual = await new FakeTwilio({ accounts: [account('held')], mode: 'manual' }).start();
    t = await startTestApp({ ROLE: 'web' });
    live = await t.createTenant();
    held = await t.createTenant();
    key = t.crm(live);
    heldKey = t.crm(held);
    await configure(live, auto, accounts.live, tokens.live);
    await configure(held, manual, accounts.held, tokens.held);
    const emit = t.app.services.realtime.emitForLead.bind(t.app.services.realtime);
    vi.spyOn(t.app.services.realtime, 'emitForLead').mockImplementation(
      (tenantId, owner, event, payload, masked) => {
        if (event.startsWith('call.') || event === 'agent.presence') events.push({ event, payload });
        emit(tenantId, owner, event, payload, masked);
      },
    );
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.close();
    await auto?.close();
    await manual?.close();
  });

  it('click-to-call rings the salesperson, then the lead, and logs the call on the lead', async () => {
    const agent = await agentOf(key, { outcome: 'answer', talkSeconds: 120 }, auto);
    const lead = await leadOf(key, { outcome: 'answer', ringSeconds: 4, talkSeconds: 42 }, auto, agent.id);
    const placed = await key.post('/calls', { leadId: lead.id, agentId: agent.id });
    expect(placed.status, placed.text).toBe(201);
    expect(placed.body.data).toMatchObject({
      mode: 'click_to_call',
      direction: 'outbound',
      toNumber: lead.phone,
    });
    await auto.idle();

    // The fake rang the salesperson's phone first, from the tenant's caller id, as Twilio documents.
    const create = auto.requests.find((r) => r.path.endsWith('/Calls.json') && r.form.To === agent.phone)!;
    expect(create.form).toMatchObject({
      From: callerId,
      Method: 'POST',
      StatusCallbackMethod: 'POST',
      Timeout: '30',
    });
    expect(create.form.StatusCallbackEvent).toEqual(['initiated', 'ringing', 'answered', 'completed']);

    const call = dataOf(await key.get(`/calls/${placed.body.data.id}`));
    expect(call).toMatchObject({
      status: 'completed',
      outcome: 'answered',
      abandoned: false,
      agentId: agent.id,
    });
    expect(call.bridgedAt).not.toBeNull();
    expect(call.talkSeconds).toBeGreaterThan(0);
    const after = dataOf(await key.get(`/leads/${lead.id}`));
    expect(after).toMatchObject({
      callStatus: 'completed',
      callAttempts: 1,
      callCount: { answered: 1, missed_call: 0, not_connected: 0, switched_off: 0 },
    });
    expect(after.lastContactAt).toBe(call.bridgedAt);
    const timeline = dataOf(await key.get(`/leads/${lead.id}/activity?limit=200`)).items as any[];
    expect(timeline.some((entry) => entry.kind === 'call' && entry.data?.callId === call.id)).toBe(true);
    // The lead's leg told its answer through the <Number statusCallback> (signed, accepted).
    const bridge = auto.callbackResponses.filter((r) => r.callback.url.endsWith(`/calls/${call.id}/bridge`));
    expect(bridge.map((r) => [r.callback.params.CallStatus, r.status])).toEqual([
      ['in-progress', 204],
      ['completed', 204],
    ]);
    const names = events.filter((e) => e.payload.call?.id === call.id).map((e) => e.event);
    expect(names).toEqual(
      expect.arrayContaining(['call.queued', 'call.ringing', 'call.bridged', 'call.ended']),
    );
    expect(names.filter((name) => name === 'call.ended')).toHaveLength(1);
  });

  it('refuses unsigned and wrongly signed callbacks with 403 and changes nothing', async () => {
    const agent = await agentOf(heldKey, { outcome: 'answer' }, manual);
    const lead = await leadOf(heldKey, { outcome: 'busy' }, manual, agent.id);
    const call = dataOf(await heldKey.post('/calls', { leadId: lead.id, agentId: agent.id }), 201);
    await manual.idle();
    const before = await callRow(held, call.id);
    const path = `/api/telephony/twilio/${held.tenant.clientCode}/calls/${call.id}/status`;
    const params = {
      CallSid: before.provider_call_sid!,
      CallStatus: 'completed',
      CallDuration: '5',
      SequenceNumber: '9',
    };
    const url = `${t.app.services.config.publicBaseUrl}${path}`;
    const body = new URLSearchParams(params).toString();
    const unsigned = await t.request(path, { method: 'POST', headers: form, body });
    const wrongKey = await t.request(path, {
      method: 'POST',
      headers: { ...form, 'x-twilio-signature': twilioSignature('not-the-token', url, params) },
      body,
    });
    const altered = await t.request(path, {
      method: 'POST',
      headers: { ...form, 'x-twilio-signature': twilioSignature(tokens.held, url, params) },
      body: body.replace('completed', 'failed'),
    });
    const otherTenant = await t.request(path.replace(held.tenant.clientCode, live.tenant.clientCode), {
      method: 'POST',
      headers: { ...form, 'x-twilio-signature': twilioSignature(tokens.held, url, params) },
      body,
    });
    for (const res of [unsigned, wrongKey, altered, otherTenant]) {
      expect(res.status, res.text).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await callRow(held, call.id)).toEqual(before);

    // Behind a proxy the signature covers PUBLIC_BASE_URL's address, not the one the request reached.
    const config = t.app.services.config as { publicBaseUrl: string };
    const local = config.publicBaseUrl;
    config.publicBaseUrl = 'https://crm.example.com';
    try {
      const proxied = await t.request(path, {
        method: 'POST',
        headers: {
          ...form,
          'x-twilio-signature': twilioSignature(tokens.held, `https://crm.example.com${path}`, params),
        },
        body,
      });
      expect(proxied.status, proxied.text).toBe(204);
      const signedLocally = await t.request(path, {
        method: 'POST',
        headers: { ...form, 'x-twilio-signature': twilioSignature(tokens.held, url, params) },
        body,
      });
      expect(signedLocally.status).toBe(403);
    } finally {
      config.publicBaseUrl = local;
    }
    expect((await callRow(held, call.id)).status).toBe('completed');
    await manual.deliver();
  });

  /** What a call converged to, without its instants (two calls never share them). */
  const shape = (row: Awaited<ReturnType<typeof callRow>>) => ({
    status: row.status,
    outcome: row.outcome,
    abandoned: row.abandoned,
    answeredBy: row.answered_by,
    sip: row.sip_response_code,
    talkSeconds: row.talk_seconds,
    ringSeconds: row.ring_seconds,
    answered: row.answered_at !== null,
    bridged: row.bridged_at !== null,
  });

  const outcomes: [FakeCallScript['outcome'], string][] = [
    ['answer', 'answered'],
    ['busy', 'missed_call'],
    ['no-answer', 'missed_call'],
    ['machine', 'missed_call'],
    ['failed', 'not_connected'],
    ['switched_off', 'switched_off'],
  ];

  it.each(outcomes)(
    'a dialer call that meets %s converges to the same record however its callbacks arrive (%s)',
    async (outcome, expected) => {
      const handle = await tenantHandle(t, held.tenant.id);
      await heldKey.put('/call-settings', { machineDetection: true });
      const rows = [];
      for (const order of ['in order', 'shuffled and duplicated'] as const) {
        const agent = await agentOf(heldKey, { outcome: 'answer', talkSeconds: 25 }, manual);
        const lead = await leadOf(heldKey, { outcome, ringSeconds: 3, talkSeconds: 25 }, manual, agent.id);
        const call = await placeCall(t.app.services, handle, {
          leadId: lead.id,
          agentId: agent.id,
          mode: 'dialer',
          now: new Date(),
          actor: systemActor('test'),
        }).catch((error: unknown) => (error instanceof TelephonyError ? undefined : Promise.reject(error)));
        await manual.idle();
        const pending = manual.pendingCallbacks();
        expect(pending.length).toBeGreaterThan(0);
        await manual.deliver(order === 'in order' ? {} : { shuffle: phones, duplicate: true });
        const row = await (call
          ? callRow(held, call.id)
          : handle.db
              .selectFrom('calls')
              .selectAll()
              .where('lead_id', '=', lead.id)
              .executeTakeFirstOrThrow());
        rows.push(shape(row));
        const counts = dataOf(await heldKey.get(`/leads/${lead.id}`)).callCount;
        expect(counts[expected], `${order}: ${JSON.stringify(counts)}`).toBe(1);
        expect(Object.values(counts).reduce((a: number, b) => a + (b as number), 0)).toBe(1);
      }
      expect(rows[0]!.outcome).toBe(expected);
      expect(rows[1]).toEqual(rows[0]);
      await heldKey.put('/call-settings', { machineDetection: false });
    },
  );

  it('abandons an answered dialer call when no salesperson can take it, and tries a second one first', async () => {
    const handle = await tenantHandle(t, live.tenant.id);
    const place = (leadId: string, agentId: string) =>
      placeCall(t.app.services, handle, {
        leadId,
        agentId,
        mode: 'dialer',
        now: new Date(),
        actor: systemActor('test'),
      });

    // The reserved salesperson does not pick up; the next free one does.
    const slow = await agentOf(key, { outcome: 'no-answer' }, auto, 'Slow');
    const quick = await agentOf(key, { outcome: 'answer' }, auto, 'Quick');
    const lead = await leadOf(key, { outcome: 'answer', talkSeconds: 60 }, auto, slow.id);
    const rescued = await place(lead.id, slow.id);
    await auto.idle();
    const row = await callRow(live, rescued.id);
    expect(row).toMatchObject({ agent_id: quick.id, abandoned: false, outcome: 'answered' });
    expect(row.tried_agent_ids).toEqual([slow.id, quick.id]);
    await key.patch(`/agents/${quick.id}`, { available: false });
    await key.patch(`/agents/${slow.id}`, { available: false });

    // Nobody else is free: the lead hears the tenant's message and the call is abandoned.
    const gone = await agentOf(key, { outcome: 'answer' }, auto, 'Gone');
    const lead2 = await leadOf(key, { outcome: 'answer' }, auto, gone.id);
    const pending = place(lead2.id, gone.id);
    await key.put(`/presence/${gone.id}`, { setting: 'away' });
    const abandoned = await pending;
    await auto.idle();
    expect(await callRow(live, abandoned.id)).toMatchObject({
      abandoned: true,
      outcome: 'answered',
      agent_id: null,
    });
    const said = auto.callTo(lead2.phone)!.twiml.join('\n');
    expect(said).toContain('<Say>');
    await key.put(`/presence/${gone.id}`, { setting: 'available' });
    await key.patch(`/agents/${gone.id}`, { available: false });
  });

  it('bridges to another salesperson when the reserved one took another call meanwhile', async () => {
    const handle = await tenantHandle(t, live.tenant.id);
    const busy = await agentOf(key, { outcome: 'answer', talkSeconds: 30 }, auto, 'Busy');
    const free = await agentOf(key, { outcome: 'answer' }, auto, 'Free');
    const lead = await leadOf(key, { outcome: 'answer', talkSeconds: 20 }, auto, busy.id);
    // The reserved salesperson's own call is open (ringing) when the lead answers.
    const other = await handle.db
      .insertInto('calls')
      .values({
        agent_id: busy.id,
        direction: 'outbound',
        mode: 'click_to_call',
        from_number: callerId,
        to_number: nextPhone(),
        status: 'ringing',
        queued_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const call = await placeCall(t.app.services, handle, {
      leadId: lead.id,
      agentId: busy.id,
      mode: 'dialer',
      now: new Date(),
      actor: systemActor('test'),
    });
    await auto.idle();
    const row = await callRow(live, call.id);
    // Another free salesperson took it (earlier tests' agents may be free too).
    expect(row).toMatchObject({ abandoned: false, outcome: 'answered' });
    expect(row.agent_id).not.toBeNull();
    expect(row.tried_agent_ids).toEqual([busy.id, row.agent_id]);
    await handle.db.updateTable('calls').set({ status: 'completed' }).where('id', '=', other.id).execute();
    for (const agent of [busy.id, free.id, row.agent_id!])
      await key.patch(`/agents/${agent}`, { available: false });
  });

  it('settles calls whose callbacks never came by asking the provider', async () => {
    const handle = await tenantHandle(t, held.tenant.id);
    const agent = await agentOf(heldKey, { outcome: 'answer' }, manual);
    const lead = await leadOf(heldKey, { outcome: 'busy', ringSeconds: 2 }, manual, agent.id);
    const call = await placeCall(t.app.services, handle, {
      leadId: lead.id,
      agentId: agent.id,
      mode: 'dialer',
      now: new Date(),
      actor: systemActor('test'),
    });
    await manual.idle();
    const lost = await handle.db
      .insertInto('calls')
      .values({
        lead_id: lead.id,
        agent_id: agent.id,
        direction: 'outbound',
        mode: 'dialer',
        from_number: callerId,
        to_number: lead.phone,
        queued_at: new Date(Date.now() - 3_600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const channel = (await loadTelephony(t.app.services, handle))!;
    // Not stale yet: left alone.
    expect(await reconcileStaleCalls(t.app.services, handle, channel, new Date(Date.now() - 3_300_000))).toBe(
      0,
    );
    expect((await callRow(held, call.id)).status).toBe('queued');
    // Twenty minutes on, nothing came: the provider says busy; the call it never confirmed failed.
    expect(
      await reconcileStaleCalls(t.app.services, handle, channel, new Date(Date.now() + 20 * 60_000)),
    ).toBe(2);
    expect(await callRow(held, call.id)).toMatchObject({ status: 'busy', outcome: 'missed_call' });
    expect(await callRow(held, lost.id)).toMatchObject({
      status: 'failed',
      outcome: 'not_connected',
      error_code: 'lost',
    });
    // The callbacks arriving late change nothing final.
    await manual.deliver();
    expect(await callRow(held, call.id)).toMatchObject({ status: 'busy', outcome: 'missed_call' });
    expect(dataOf(await heldKey.get(`/leads/${lead.id}`)).callCount.missed_call).toBe(1);
  });

  it("maps the provider's refusals: a bad number is 422 call_rejected, rate limiting 429, both logged", async () => {
    const agent = await agentOf(key, { outcome: 'answer' }, auto);
    const bad = await leadOf(key, { errorCode: 21211 }, auto, agent.id);
    const rejected = await key.post('/calls', { leadId: bad.id, agentId: agent.id });
    // Click-to-call rings the salesperson first: script the agent's number to refuse instead.
    expect([201, 422]).toContain(rejected.status);
    auto.script(agent.phone, { errorCode: 21211 });
    const refused = await key.post('/calls', { leadId: bad.id, agentId: agent.id });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'call_rejected',
      details: { reason: 'invalid_number', providerCode: 21211 },
    });
    auto.script(agent.phone, { outcome: 'answer' });
    auto.failNext(1, { code: 20429, status: 429, retryAfterSeconds: 7 });
    const limited = await key.post('/calls', { leadId: bad.id, agentId: agent.id });
    expect(limited.status, limited.text).toBe(429);
    expect(limited.body.error.details).toMatchObject({ reason: 'rate_limited', retryAfterMs: 7000 });
    const logged = dataOf(await key.get(`/calls?leadId=${bad.id}&status=failed`));
    expect(logged.total).toBeGreaterThanOrEqual(2);
    expect(logged.items[0]).toMatchObject({ outcome: 'not_connected' });
    // A call the provider refused never rang anyone: the lead counts only the calls placed.
    const calls = dataOf(await key.get(`/calls?leadId=${bad.id}`)).items as {
      providerCallSid: string | null;
    }[];
    const placed = calls.filter((call) => call.providerCallSid !== null).length;
    expect(calls.length - placed).toBeGreaterThanOrEqual(2);
    expect(dataOf(await key.get(`/leads/${bad.id}`)).callAttempts).toBe(placed);
  });

  it('refuses a call that breaks a compliance rule, or without telephony, and places nothing', async () => {
    const agent = await agentOf(key, { outcome: 'answer' }, auto);
    const lead = await leadOf(key, { outcome: 'answer' }, auto, agent.id);
    expect((await key.patch(`/leads/${lead.id}`, { doNotCall: true })).status).toBe(200);
    const refused = await key.post('/calls', { leadId: lead.id, agentId: agent.id });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'call_not_allowed',
      details: { reason: 'do_not_call' },
    });

    const bare = await t.createTenant();
    const bareKey = t.crm(bare);
    const bareAgent = dataOf(await bareKey.post('/agents', { name: 'A', phone: nextPhone() }), 201).id;
    const bareLead = dataOf(
      await bareKey.post('/leads', { name: 'L', phone: nextPhone(), assign: false }),
      201,
    ).lead.id;
    const none = await bareKey.post('/calls', { leadId: bareLead, agentId: bareAgent });
    expect(none.status, none.text).toBe(409);
    expect(none.body.error.code).toBe('channel_not_configured');
    for (const tenantLead of [lead.id])
      expect(dataOf(await key.get(`/calls?leadId=${tenantLead}`)).total).toBe(0);

    const invalid = await key.post('/calls', { leadId: lead.id, agentId: agent.id, extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
  });

  it('stores a recording in object storage and serves it by a signed URL', async () => {
    await key.put('/call-settings', { recording: true });
    try {
      const agent = await agentOf(key, { outcome: 'answer' }, auto);
      const lead = await leadOf(key, { outcome: 'answer', talkSeconds: 30 }, auto, agent.id);
      const call = dataOf(await key.post('/calls', { leadId: lead.id, agentId: agent.id }), 201);
      await auto.idle();
      const row = await callRow(live, call.id);
      expect(row.recording_sid).toMatch(/^RE/);
      const job = await t.app.services.platform
        .selectFrom('jobs')
        .select('payload')
        .where('kind', '=', 'calls.fetch_recording')
        .where('tenant_id', '=', live.tenant.id)
        .executeTakeFirstOrThrow();
      expect((await key.get(`/calls/${call.id}/recording`)).body.error.code).toBe('media_not_available');
      await runJob(t, fetchRecordingJob, live.tenant.id, job.payload as any);
      const link = dataOf(await key.get(`/calls/${call.id}/recording`));
      const bytes = Buffer.from(await (await fetch(new URL(link.url, t.baseUrl))).arrayBuffer());
      expect(bytes.equals(auto.recordingBytes(row.recording_sid!)!)).toBe(true);
      expect(dataOf(await key.get(`/calls/${call.id}`)).recording).toMatchObject({ stored: true });
    } finally {
      await key.put('/call-settings', { recording: false });
    }
  });

  it('rings the owner on an inbound call; a missed one opens a call signal for them', async () => {
    const owner = await agentOf(key, { outcome: 'no-answer' }, auto, 'Owner');
    const lead = await leadOf(key, { outcome: 'answer' }, auto, owner.id);
    const path = `/api/telephony/twilio/${live.tenant.clientCode}/voice`;
    const sign = (p: string, params: Record<string, string>) => ({
      ...form,
      'x-twilio-signature': twilioSignature(
        tokens.live,
        `${t.app.services.config.publicBaseUrl}${p}`,
        params,
      ),
    });
    const voice = {
      CallSid: newSid('CA'),
      From: lead.phone,
      To: callerId,
      CallStatus: 'ringing',
      Direction: 'inbound',
    };
    const answer = await t.request(path, {
      method: 'POST',
      headers: sign(path, voice),
      body: new URLSearchParams(voice).toString(),
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toContain(`<Number`);
    expect(answer.text).toContain(owner.phone);
    const [call] = dataOf(await key.get(`/calls?leadId=${lead.id}&direction=inbound`)).items;
    expect(call).toMatchObject({ mode: 'inbound', agentId: owner.id, status: 'ringing' });

    const dialPath = `/api/telephony/twilio/${live.tenant.clientCode}/calls/${call.id}/dial`;
    const dial = {
      CallSid: voice.CallSid,
      CallStatus: 'in-progress',
      DialCallStatus: 'no-answer',
      DialCallSid: newSid('CA'),
    };
    const done = await t.request(dialPath, {
      method: 'POST',
      headers: sign(dialPath, dial),
      body: new URLSearchParams(dial).toString(),
    });
    expect(done.status, done.text).toBe(200);
    expect(dataOf(await key.get(`/calls/${call.id}`))).toMatchObject({
      status: 'completed',
      outcome: 'missed_call',
    });
    const [signal] = dataOf(await key.get(`/signals?leadId=${lead.id}&type=call`)).items;
    expect(signal).toMatchObject({ type: 'call', ownerId: owner.id, status: 'pending' });
    expect(dataOf(await key.get(`/leads/${lead.id}`)).callCount.missed_call).toBe(1);
  });

  it('makes an unknown caller a lead (source inbound_call) before routing the call; a withheld number makes none', async () => {
    const path = `/api/telephony/twilio/${live.tenant.clientCode}/voice`;
    const ring = async (from: string) => {
      const voice = {
        CallSid: newSid('CA'),
        From: from,
        To: callerId,
        CallStatus: 'ringing',
        Direction: 'inbound',
      };
      const signature = twilioSignature(tokens.live, `${t.app.services.config.publicBaseUrl}${path}`, voice);
      const answer = await t.request(path, {
        method: 'POST',
        headers: { ...form, 'x-twilio-signature': signature },
        body: new URLSearchParams(voice).toString(),
      });
      expect(answer.status, answer.text).toBe(200);
      return voice.CallSid;
    };
    const newcomer = '+14155550777';
    const callerLeads = async () =>
      dataOf(await key.get('/leads?source=inbound_call&limit=100')).items as {
        id: string;
        phone: string;
        source: string;
      }[];
    expect(await callerLeads()).toEqual([]);
    const sid = await ring(newcomer);
    expect(await callerLeads()).toEqual([
      expect.objectContaining({ phone: newcomer, source: 'inbound_call' }),
    ]);
    const [lead] = await callerLeads();
    const [call] = dataOf(await key.get(`/calls?leadId=${lead!.id}&direction=inbound`)).items;
    expect(call).toMatchObject({ providerCallSid: sid, fromNumber: newcomer, mode: 'inbound' });

    // A withheld number: the call is logged without a lead, and no lead is made.
    const withheld = await ring('anonymous');
    const logged = dataOf(await key.get('/calls?direction=inbound&limit=100')).items as {
      providerCallSid: string;
      leadId: string | null;
    }[];
    expect(logged.find((row) => row.providerCallSid === withheld)).toMatchObject({ leadId: null });
    expect(await callerLeads()).toHaveLength(1);
  });

  it("records the salesperson's disposition on the call and the lead, ending their wrap-up", async () => {
    const agent = await agentOf(key, { outcome: 'answer' }, auto);
    const user = await addTestUser(t, live, { role: 'agent', agentId: agent.id });
    const own = tenantClient(t.request, '/api/crm', user.headers);
    const lead = await leadOf(key, { outcome: 'answer', talkSeconds: 20 }, auto, agent.id);
    const call = dataOf(await own.post('/calls', { leadId: lead.id }), 201);
    await auto.idle();
    expect(dataOf(await key.get(`/presence/${agent.id}`)).presence).toBe('wrap_up');
    const recorded = await own.post(`/calls/${call.id}/disposition`, {
      disposition: 'follow_up',
      reason: 'Call back Monday',
    });
    expect(recorded.status, recorded.text).toBe(200);
    expect(recorded.body.data).toMatchObject({
      disposition: 'follow_up',
      dispositionReason: 'Call back Monday',
    });
    expect(dataOf(await key.get(`/leads/${lead.id}`))).toMatchObject({
      disposition: 'follow_up',
      dispositionReason: 'Call back Monday',
    });
    expect(dataOf(await key.get(`/presence/${agent.id}`)).presence).not.toBe('wrap_up');
    const wrong = await own.post(`/calls/${call.id}/disposition`, { disposition: 'maybe' });
    expect(wrong.status).toBe(400);
  });
});
