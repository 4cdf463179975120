import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGraphApi } from '../testing/fake-graph-api.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { addTestTeam, addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { change, inbound, testAppSecret, webhook } from '../whatsapp/testing/meta-payloads.js';
import { webhookClient } from '../whatsapp/testing/webhook-client.js';
import { processEventJob } from '../whatsapp/whatsapp.jobs.js';
import { defaultCallSettings, loadCallSettings, type CallSettings } from './call-settings.js';
import { checkCallAllowed, filterCallable } from './call-compliance.js';
import { isCallOptOut } from './do-not-call-hooks.js';
import { leadTimezones } from './lead-timezones.js';

const phoneNumberId = '5000021';
const hourMs = 3_600_000;
const minuteMs = 60_000;
/** Wednesday 15 July 2026, 18:00 UTC: 11:00 in Los Angeles (PDT), 23:30 in Kolkata. */
const laMorning = new Date('2026-07-15T18:00:00Z');

describe('calling compliance', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let tenant: TestTenant;
  let key: TenantClient;
  let agentUser: TenantClient;
  let agents: { A: string; B: string };
  let settings: CallSettings;
  let phones = 0;
  let wamids = 0;

  const { setWhatsApp, post } = webhookClient(() => t);
  const db = async () => (await tenantHandle(t, tenant.tenant.id)).db;

  /** A new lead with a San Francisco number (+1 415), its id and phone. */
  async function laLead(extra: Record<string, unknown> = {}) {
    const phone = `+1415555${String(++phones).padStart(4, '0')}`;
    const { lead } = dataOf(
      await key.post('/leads', { name: `Caller ${phones}`, phone, assign: false, ...extra }),
      201,
    );
    return { id: lead.id as string, phone };
  }

  const leadOf = async (id: string) => dataOf(await key.get(`/leads/${id}`));
  const listed = async (phone: string) =>
    (await db()).selectFrom('do_not_call').selectAll().where('phone', '=', phone).executeTakeFirst();

  /** A call row as the dialer would write it. */
  async function addCall(call: {
    leadId: string | null;
    to: string;
    queuedAt: Date;
    endedAt?: Date | null;
    abandoned?: boolean;
    status?: 'completed' | 'canceled' | 'no-answer' | 'queued';
  }) {
    await (
      await db()
    )
      .insertInto('calls')
      .values({
        lead_id: call.leadId,
        direction: 'outbound',
        mode: 'dialer',
        from_number: '+14155550000',
        to_number: call.to,
        queued_at: call.queuedAt,
        ended_at: call.endedAt ?? null,
        abandoned: call.abandoned ?? false,
        status: call.status ?? 'completed',
      })
      .execute();
  }

  const check = async (lead: { id: string | null; phone: string }, now: Date, s = settings) =>
    checkCallAllowed(await db(), {
      leadId: lead.id,
      phone: lead.phone,
      timezones: await leadTimezones(lead.phone, 'Asia/Kolkata'),
      settings: s,
      now,
    });

  beforeAll(async () => {
    graph = await new FakeGraphApi('dnc-token').start();
    t = await startTestApp({ ROLE: 'web', META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl });
    tenant = await t.createTenant('compliance', { timezone: 'Asia/Kolkata', defaultCountry: 'IN' });
    key = t.crm(tenant);
    const set = await setWhatsApp(tenant.tenant.clientCode, {
      phoneNumberIds: [phoneNumberId],
      wabaId: 'WABA-DNC',
      accessToken: 'dnc-token',
      verifyToken: 'v',
    });
    expect(set.status, set.text).toBe(200);
    agents = {
      A: dataOf(await key.post('/agents', { name: 'Agent A', dailyLimit: 500 }), 201).id,
      B: dataOf(await key.post('/agents', { name: 'Agent B', dailyLimit: 500 }), 201).id,
    };
    const team = await addTestTeam(t, tenant, 'Callers');
    const user = await addTestUser(t, tenant, { role: 'agent', agentId: agents.A, teamIds: [team] });
    agentUser = tenantClient(t.request, '/api/crm', user.headers);
    settings = await loadCallSettings(await tenantHandle(t, tenant.tenant.id));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  describe('call settings', () => {
    it('answers the defaults, takes a partial update and refuses bad or unknown fields', async () => {
      expect(dataOf(await key.get('/call-settings'))).toEqual(defaultCallSettings);
      expect(settings).toEqual(defaultCallSettings);

      const changed = dataOf(await key.put('/call-settings', { timeoutSeconds: 45, dialRatio: 1.5 }));
      expect(changed).toEqual({ ...defaultCallSettings, timeoutSeconds: 45, dialRatio: 1.5 });
      const again = dataOf(
        await key.put('/call-settings', { callingHours: { start: '08:30', end: '21:00' } }),
      );
      expect(again).toMatchObject({ timeoutSeconds: 45, callingHours: { start: '08:30', end: '21:00' } });
      expect(await loadCallSettings(await tenantHandle(t, tenant.tenant.id))).toEqual(again);
      expect(dataOf(await agentUser.get('/call-settings'))).toEqual(again);

      for (const [body, path] of [
        [{ timeoutSeconds: 5 }, 'body.timeoutSeconds'],
        [{ timeoutSeconds: 121 }, 'body.timeoutSeconds'],
        [{ dialRatio: 1.25 }, 'body.dialRatio'],
        [{ dialRatio: 3.1 }, 'body.dialRatio'],
        [{ maxAttempts: 11 }, 'body.maxAttempts'],
        [{ maxAbandonPercent: 5 }, 'body.maxAbandonPercent'],
        [{ abandonCooldownHours: 24 }, 'body.abandonCooldownHours'],
        [{ retryBackoff: ['P1M'] }, 'body.retryBackoff.0'],
        [{ retryBackoff: [] }, 'body.retryBackoff'],
        [{ callingHours: { start: '21:00', end: '09:00' } }, 'body.callingHours.end'],
        [{ callingHours: { start: '9am', end: '20:00' } }, 'body.callingHours.start'],
        [{ recordings: true }, 'body.recordings'],
        [{}, 'body'],
      ] as const) {
        const res = await key.put('/call-settings', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
        expect(
          res.body.error.details.map((d: { path: string }) => d.path),
          JSON.stringify(body),
        ).toContain(path);
      }
      // An agent reads them but may not change them.
      expect((await agentUser.put('/call-settings', { timeoutSeconds: 40 })).status).toBe(403);
      dataOf(
        await key.put('/call-settings', {
          timeoutSeconds: 30,
          dialRatio: 1,
          callingHours: defaultCallSettings.callingHours,
        }),
      );
      expect(await loadCallSettings(await tenantHandle(t, tenant.tenant.id))).toEqual(defaultCallSettings);
    });
  });

  describe('the do-not-call list', () => {
    it('lists numbers once each in E.164 (national numbers in the tenant country), flags their leads, and takes them off', async () => {
      const lead = await laLead();
      const res = dataOf(
        await key.post('/dnc', {
          phones: [lead.phone, '98765 43210', '+1 (415) 555-9001', '+919876543210'],
          reason: 'complained',
        }),
      );
      expect(res).toEqual({
        added: expect.arrayContaining([lead.phone, '+919876543210', '+14155559001']),
        alreadyListed: [],
        leadsFlagged: 1,
      });
      expect(res.added).toHaveLength(3);
      expect((await leadOf(lead.id)).doNotCall).toBe(true);
      expect(await listed(lead.phone)).toMatchObject({ reason: 'complained', source: 'api' });

      // Idempotent: a listed number keeps its entry.
      expect(
        dataOf(await key.post('/dnc', { phones: [lead.phone, '+14155559002'], reason: 'again' })),
      ).toEqual({
        added: ['+14155559002'],
        alreadyListed: [lead.phone],
        leadsFlagged: 0,
      });
      expect(await listed(lead.phone)).toMatchObject({ reason: 'complained' });

      // Lists: filter on digits (a leading + anchors), total, entries.
      const page = dataOf(await key.get('/dnc?phone=%2B1415555900'));
      expect(page.items.map((e: { phone: string }) => e.phone).sort()).toEqual([
        '+14155559001',
        '+14155559002',
      ]);
      expect(page.total).toBe(2);
      expect(page.items[0]).toMatchObject({ source: 'api', addedBy: { type: 'api_key' } });
      expect(dataOf(await key.get('/dnc?phone=543210')).items.map((e: { phone: string }) => e.phone)).toEqual(
        ['+919876543210'],
      );
      expect(dataOf(await key.get('/dnc?phone=%2B9198765')).total).toBe(1);
      expect(dataOf(await key.get('/dnc?phone=%2B98765')).total).toBe(0);

      // Off the list: the lead's flag goes with it; a second time is 404.
      expect(dataOf(await key.delete(`/dnc/${encodeURIComponent(lead.phone)}`))).toEqual({
        phone: lead.phone,
        removed: true,
        leadsCleared: 1,
      });
      expect((await leadOf(lead.id)).doNotCall).toBe(false);
      expect(await listed(lead.phone)).toBeUndefined();
      const missing = await key.delete(`/dnc/${encodeURIComponent(lead.phone)}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
      // A national number names the same entry.
      expect(dataOf(await key.delete('/dnc/9876543210')).phone).toBe('+919876543210');
    });

    it('refuses bad numbers (each named), too many, unknown fields, and callers without settings.manage', async () => {
      const bad = await key.post('/dnc', { phones: ['+14155559100', 'not a phone', '12'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
      expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual([
        'body.phones.1',
        'body.phones.2',
      ]);
      expect(await listed('+14155559100')).toBeUndefined();

      const many = await key.post('/dnc', {
        phones: Array.from({ length: 1001 }, (_, i) => `+1415556${String(i).padStart(4, '0')}`),
      });
      expect(many.status).toBe(400);
      expect(many.body.error.details[0].path).toBe('body.phones');
      const empty = await key.post('/dnc', { phones: [] });
      expect(empty.status).toBe(400);
      const unknown = await key.post('/dnc', { phones: ['+14155559100'], source: 'manual' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.details[0].path).toBe('body.source');
      const badFilter = await key.get('/dnc?phone=abc');
      expect(badFilter.status).toBe(400);
      expect(badFilter.body.error.details[0].path).toBe('query.phone');

      expect((await agentUser.post('/dnc', { phones: ['+14155559100'] })).status).toBe(403);
      expect((await agentUser.delete('/dnc/%2B14155559001')).status).toBe(403);
    });

    it('hides from a caller a number that belongs only to leads they cannot see', async () => {
      const mine = await laLead({ assignedAgentId: agents.A });
      const theirs = await laLead({ assignedAgentId: agents.B });
      dataOf(await key.post('/dnc', { phones: [mine.phone, theirs.phone, '+14155559300'] }));
      const seen = dataOf(await agentUser.get('/dnc?phone=%2B1415555&limit=200')).items.map(
        (e: { phone: string }) => e.phone,
      );
      expect(seen).toContain(mine.phone);
      expect(seen).not.toContain(theirs.phone);
      expect(dataOf(await agentUser.get('/dnc?phone=14155559300')).total).toBe(1);
      expect(dataOf(await key.get(`/dnc?phone=${encodeURIComponent(theirs.phone)}`)).total).toBe(1);
    });
  });

  describe("the lead's doNotCall flag", () => {
    it('PATCH doNotCall lists the number (and false takes it off), in the same change', async () => {
      const lead = await laLead();
      const flagged = dataOf(await key.patch(`/leads/${lead.id}`, { doNotCall: true }));
      expect(flagged.doNotCall).toBe(true);
      expect(await listed(lead.phone)).toMatchObject({ source: 'api', actor_type: 'api_key' });
      // A new number of a flagged lead is listed too.
      const moved = `+1415555${String(++phones).padStart(4, '0')}`;
      dataOf(await key.patch(`/leads/${lead.id}`, { phone: moved }));
      expect(await listed(moved)).toBeDefined();
      const cleared = dataOf(await key.patch(`/leads/${lead.id}`, { doNotCall: false }));
      expect(cleared.doNotCall).toBe(false);
      expect(await listed(moved)).toBeUndefined();
      const activity = await (
        await db()
      )
        .selectFrom('lead_activities')
        .select('data')
        .where('lead_id', '=', lead.id)
        .where('kind', '=', 'field_changed')
        .execute();
      expect(activity.map((row) => row.data)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'doNotCall', from: false, to: true }),
          expect.objectContaining({ field: 'doNotCall', from: true, to: false }),
        ]),
      );
      const bad = await key.patch(`/leads/${lead.id}`, { doNotCall: 'yes' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].path).toBe('body.doNotCall');
    });

    it('reads a request not to be called in a WhatsApp message: the flag is set, the number listed as lead_request', async () => {
      async function deliver(waId: string, body: string) {
        const message = inbound(`wamid.DNC${++wamids}`, waId, 'text', { text: { body } });
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
      }
      const asking = await laLead();
      const chatting = await laLead();
      await deliver(chatting.phone.slice(1), 'Can you call me tomorrow at 10?');
      await deliver(asking.phone.slice(1), 'Please STOP calling me, I will write when ready');
      expect((await leadOf(asking.id)).doNotCall).toBe(true);
      expect(await listed(asking.phone)).toMatchObject({ source: 'lead_request' });
      expect((await leadOf(chatting.id)).doNotCall).toBe(false);
      expect(await listed(chatting.phone)).toBeUndefined();
    });

    it('knows the opt-out phrases', () => {
      for (const text of [
        'Do not call',
        "don't call me again",
        'Don’t call',
        'dont call this number',
        'STOP CALLING',
        'no calls please',
        'No more calls!',
        'never call me',
        'please remove me from your call list',
      ])
        expect(isCallOptOut(text), text).toBe(true);
      for (const text of ['call me', 'can you call at 5', 'I called you', 'stop', 'calls are fine', null, ''])
        expect(isCallOptOut(text), String(text)).toBe(false);
    });
  });

  describe('checkCallAllowed', () => {
    it("opens at 09:00 and closes at 20:00 in the lead's local time (+1 415: Los Angeles)", async () => {
      const lead = await laLead();
      const pdt = (hhmm: string) => new Date(`2026-07-15T${hhmm}:00-07:00`);
      expect(await check(lead, pdt('08:59'))).toEqual({
        allowed: false,
        reason: 'outside_calling_hours',
        retryAt: pdt('09:00'),
      });
      expect(await check(lead, pdt('09:00'))).toEqual({ allowed: true });
      expect(await check(lead, pdt('19:59'))).toEqual({ allowed: true });
      expect(await check(lead, pdt('20:00'))).toEqual({
        allowed: false,
        reason: 'outside_calling_hours',
        retryAt: new Date('2026-07-16T09:00:00-07:00'),
      });
    });

    it("uses India's time for a +91 lead and the tenant's for a number of no known region", async () => {
      const indian = { id: null, phone: '+919812345678' };
      expect(await check(indian, new Date('2026-07-15T08:59:00+05:30'))).toMatchObject({ allowed: false });
      expect(await check(indian, new Date('2026-07-15T09:00:00+05:30'))).toEqual({ allowed: true });
      expect(await check(indian, laMorning)).toMatchObject({ reason: 'outside_calling_hours' });
      // +882 (international networks): no region zone, the tenant's Asia/Kolkata.
      const nowhere = { id: null, phone: '+88213100000' };
      expect(await leadTimezones(nowhere.phone, 'Asia/Kolkata')).toEqual(['Asia/Kolkata']);
      expect(await check(nowhere, new Date('2026-07-15T19:59:00+05:30'))).toEqual({ allowed: true });
      expect(await check(nowhere, new Date('2026-07-15T20:00:00+05:30'))).toMatchObject({
        reason: 'outside_calling_hours',
        retryAt: new Date('2026-07-16T09:00:00+05:30'),
      });
    });

    it('never calls a number on the list or a lead flagged do-not-call', async () => {
      const byList = await laLead();
      const byFlag = await laLead();
      expect(await check(byList, laMorning)).toEqual({ allowed: true });
      dataOf(await key.post('/dnc', { phones: [byList.phone] }));
      expect(await check(byList, laMorning)).toEqual({
        allowed: false,
        reason: 'do_not_call',
        retryAt: null,
      });
      // The flag alone (set without the list: e.g. by a direct write) refuses too.
      await (
        await db()
      )
        .updateTable('leads')
        .set({ do_not_call: true })
        .where('id', '=', byFlag.id)
        .execute();
      expect(await check(byFlag, laMorning)).toEqual({
        allowed: false,
        reason: 'do_not_call',
        retryAt: null,
      });
      // The number on the list refuses even a call with no lead.
      expect(await check({ id: null, phone: byList.phone }, laMorning)).toMatchObject({
        reason: 'do_not_call',
      });
      // Before the window: do-not-call still wins.
      expect(await check(byList, new Date('2026-07-15T05:00:00-07:00'))).toMatchObject({
        reason: 'do_not_call',
      });
    });

    it('waits 72 hours after an abandoned call to the lead or its number', async () => {
      const lead = await laLead();
      const endedAt = new Date(laMorning.getTime() - 71 * hourMs - 59 * minuteMs);
      await addCall({
        leadId: lead.id,
        to: lead.phone,
        queuedAt: new Date(endedAt.getTime() - minuteMs),
        endedAt,
        abandoned: true,
      });
      expect(await check(lead, laMorning)).toEqual({
        allowed: false,
        reason: 'abandon_cooldown',
        retryAt: new Date(laMorning.getTime() + minuteMs),
      });
      expect(await check(lead, new Date(laMorning.getTime() + minuteMs))).toEqual({ allowed: true });

      // By number: a call to it without the lead counts too.
      const other = await laLead();
      const ended = new Date(laMorning.getTime() - 72 * hourMs);
      await addCall({ leadId: null, to: other.phone, queuedAt: ended, endedAt: ended, abandoned: true });
      expect(await check(other, laMorning)).toEqual({ allowed: true });
      expect(await check(other, new Date(laMorning.getTime() - 1))).toMatchObject({
        reason: 'abandon_cooldown',
      });
      // A cooldown ending at night waits for the window.
      const night = await laLead();
      const late = new Date('2026-07-13T04:30:00Z'); // 21:30 PDT on the 12th
      await addCall({ leadId: night.id, to: night.phone, queuedAt: late, endedAt: late, abandoned: true });
      expect(await check(night, new Date('2026-07-15T18:00:00Z'))).toMatchObject({
        reason: 'abandon_cooldown',
        retryAt: new Date('2026-07-15T16:00:00Z'.replace('15T16', '16T16')),
      });
    });

    it('caps the calls per lead-local day', async () => {
      const lead = await laLead();
      // Los Angeles' 15 July starts at 07:00Z. Yesterday's and canceled calls do not count.
      await addCall({ leadId: lead.id, to: lead.phone, queuedAt: new Date('2026-07-15T06:59:00Z') });
      await addCall({
        leadId: lead.id,
        to: lead.phone,
        queuedAt: new Date('2026-07-15T07:30:00Z'),
        status: 'canceled',
      });
      await addCall({
        leadId: lead.id,
        to: lead.phone,
        queuedAt: new Date('2026-07-15T16:05:00Z'),
        status: 'no-answer',
      });
      await addCall({
        leadId: null,
        to: lead.phone,
        queuedAt: new Date('2026-07-15T16:40:00Z'),
        status: 'no-answer',
      });
      expect(await check(lead, laMorning)).toEqual({ allowed: true });
      await addCall({
        leadId: lead.id,
        to: lead.phone,
        queuedAt: new Date('2026-07-15T17:10:00Z'),
        status: 'no-answer',
      });
      expect(await check(lead, laMorning)).toEqual({
        allowed: false,
        reason: 'daily_cap',
        retryAt: new Date('2026-07-16T09:00:00-07:00'),
      });
      expect(await check(lead, laMorning, { ...settings, dailyAttemptCap: 4 })).toEqual({ allowed: true });
      // The next local day starts afresh.
      expect(await check(lead, new Date('2026-07-16T09:00:00-07:00'))).toEqual({ allowed: true });
    });

    it('checks a batch in order (filterCallable)', async () => {
      const free = await laLead();
      const listedLead = await laLead();
      dataOf(await key.post('/dnc', { phones: [listedLead.phone] }));
      const capped = await laLead();
      for (const minutes of [0, 10, 20])
        await addCall({
          leadId: capped.id,
          to: capped.phone,
          queuedAt: new Date(laMorning.getTime() - (60 - minutes) * minuteMs),
        });
      const la = ['America/Los_Angeles'];
      const verdicts = await filterCallable(
        await db(),
        [
          { leadId: free.id, phone: free.phone, timezones: la },
          { leadId: listedLead.id, phone: listedLead.phone, timezones: la },
          { leadId: null, phone: '+919812345679', timezones: ['Asia/Kolkata'] },
          { leadId: capped.id, phone: capped.phone, timezones: la },
          { leadId: free.id, phone: free.phone, timezones: la },
        ],
        settings,
        laMorning,
      );
      expect(verdicts.map((v) => (v.allowed ? 'ok' : v.reason))).toEqual([
        'ok',
        'do_not_call',
        'outside_calling_hours',
        'daily_cap',
        'ok',
      ]);
      expect(await filterCallable(await db(), [], settings, laMorning)).toEqual([]);
    });
  });
});
