import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { FakeTwilio, newSid, type FakeCallScript } from '../telephony/testing/fake-twilio.js';
import { dialerPollMs, runDialerTick } from './dialer-tick.js';
import { dialerTickJob } from './dialer.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const callerId = '+14155550100';
const minute = 60_000;
const hour = 60 * minute;
/**
 * Simulated instants are near the real clock, in the past (PGlite's own timers read the faked
 * Date: years ahead would overflow them): a Wednesday at least two weeks back.
 */
const wednesday = DateTime.utc().minus({ days: 14 }).startOf('week').plus({ days: 2 });
/** 12:00 UTC: 04:00 or 05:00 in San Francisco, before calling hours. */
const wednesdayNoonUtc = wednesday.set({ hour: 12 }).toJSDate();
/** `hour`:`minute` in San Francisco (the leads' zone: +1 415), `days` after that Wednesday. */
const sanFrancisco = (days: number, hour: number, minute = 0) =>
  DateTime.fromObject(
    { year: wednesday.year, month: wednesday.month, day: wednesday.day, hour, minute },
    { zone: 'America/Los_Angeles' },
  )
    .plus({ days })
    .toJSDate();

/** The dialer against the fake Twilio: the queue's routes, pacing, retries, compliance, the job. */
describe('dialer', () => {
  let t: TestApp;
  let auto: FakeTwilio;
  let manual: FakeTwilio;
  const account = {
    accountSid: newSid('AC'),
    authToken: 'dialer-auth-token-0123456789',
    callerIds: [callerId],
  };
  let phones = 0;
  /** San Francisco numbers (+1 415: America/Los_Angeles), unique in this file. */
  const nextPhone = () => `+1415556${String(++phones).padStart(4, '0')}`;

  interface Tenant {
    tenant: TestTenant;
    key: TenantClient;
    handle: TenantHandle;
    fake: FakeTwilio;
  }

  /** A tenant whose telephony is `fake`, calling at any hour unless `settings` say otherwise. */
  async function tenantOn(fake: FakeTwilio, settings: Record<string, unknown> = {}): Promise<Tenant> {
    const tenant = await t.createTenant();
    const put = await t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/secrets/twilio`, {
      method: 'PUT',
      headers: admin,
      body: { ...account, apiBaseUrl: fake.baseUrl },
    });
    expect(put.status, put.text).toBe(200);
    const key = t.crm(tenant);
    const saved = await key.put('/call-settings', {
      callingHours: { start: '00:00', end: '24:00' },
      ...settings,
    });
    expect(saved.status, saved.text).toBe(200);
    return { tenant, key, handle: await tenantHandle(t, tenant.tenant.id), fake };
  }

  async function agentOf(c: Tenant, script: FakeCallScript = { outcome: 'answer' }, extra = {}) {
    const phone = nextPhone();
    c.fake.script(phone, script);
    const body = { name: `Agent ${phones}`, phone, dailyLimit: 1000, ...extra };
    return { id: dataOf(await c.key.post('/agents', body), 201).id as string, phone };
  }

  async function leadOf(c: Tenant, script: FakeCallScript = { outcome: 'answer' }, extra = {}) {
    const phone = nextPhone();
    c.fake.script(phone, script);
    const body = { name: `Lead ${phones}`, phone, assign: false, ...extra };
    return { id: dataOf(await c.key.post('/leads', body), 201).lead.id as string, phone };
  }

  const queue = async (c: Tenant, leadIds: string[], priority = 'medium', extra = {}) =>
    dataOf(await c.key.post('/call-queue', { leadIds, priority, ...extra }), 201);

  const entryOf = (c: Tenant, leadId: string) =>
    c.handle.db
      .selectFrom('call_queue')
      .selectAll()
      .where('lead_id', '=', leadId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();

  const callsOf = (c: Tenant, leadId?: string) => {
    let query = c.handle.db.selectFrom('calls').selectAll().orderBy('queued_at').orderBy('number');
    if (leadId) query = query.where('lead_id', '=', leadId);
    return query.execute();
  };

  const tick = (c: Tenant, now = new Date()) => runDialerTick(t.app.services, c.handle, now);

  /** Simulated hours: Date alone is faked (timers, sockets and the databases run as usual). */
  const clockAt = (at: Date) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at);
  };

  beforeAll(async () => {
    auto = await new FakeTwilio({ accounts: [account], mode: 'auto' }).start();
    manual = await new FakeTwilio({ accounts: [account], mode: 'manual' }).start();
    t = await startTestApp({ ROLE: 'web' });
  }, 120_000);
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await t?.close();
    await auto?.close();
    await manual?.close();
  });

  describe('the call queue routes', () => {
    it('validates, queues a lead at most once, skips do-not-call and unknown leads', async () => {
      const c = await tenantOn(manual);
      const [a, b, dnc, listed] = [await leadOf(c), await leadOf(c), await leadOf(c), await leadOf(c)];

      for (const body of [
        { leadIds: [a.id] },
        { leadIds: [a.id], priority: 'critical' },
        { leadIds: [a.id], priority: 'low', extra: true },
        { leadIds: [], priority: 'low' },
        { leadIds: ['not-a-uuid'], priority: 'low' },
      ]) {
        const res = await c.key.post('/call-queue', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
      expect(await c.handle.db.selectFrom('call_queue').selectAll().execute()).toEqual([]);

      expect((await c.key.patch(`/leads/${dnc.id}`, { doNotCall: true })).status).toBe(200);
      expect((await c.key.post('/dnc', { phones: [listed.phone] })).status).toBeLessThan(300);
      const unknown = crypto.randomUUID();
      const first = await c.key.post('/call-queue', {
        leadIds: [a.id, b.id, a.id, dnc.id, listed.id, unknown],
        priority: 'high',
        campaign: 'spring',
      });
      expect(first.status, first.text).toBe(201);
      const result = dataOf(first, 201);
      expect(result.queued.map((e: { leadId: string }) => e.leadId).sort()).toEqual([a.id, b.id].sort());
      expect(result.queued[0]).toMatchObject({
        priority: 'high',
        campaign: 'spring',
        status: 'waiting',
        attempts: 0,
        nextAttemptAt: null,
      });
      expect(result.skipped).toEqual(
        expect.arrayContaining([
          { leadId: unknown, reason: 'not_found' },
          { leadId: dnc.id, reason: 'do_not_call' },
          { leadId: listed.id, reason: 'do_not_call' },
        ]),
      );
      expect(result.skipped).toHaveLength(3);

      const again = await c.key.post('/call-queue', { leadIds: [a.id], priority: 'urgent' });
      expect(again.status, again.text).toBe(200);
      expect(dataOf(again)).toEqual({ queued: [], skipped: [{ leadId: a.id, reason: 'already_queued' }] });
      const rows = await c.handle.db.selectFrom('call_queue').selectAll().execute();
      expect(rows).toHaveLength(2);
      expect(rows.find((row) => row.lead_id === a.id)).toMatchObject({ priority: 'high', priority_rank: 1 });

      // An agent's user reaches its own leads only: another's lead is `not_found`, and not queued.
      const agent = await agentOf(c);
      const user = await addTestUser(t, c.tenant, { role: 'agent', agentId: agent.id });
      const own = tenantClient(t.request, '/api/crm', user.headers);
      const mine = await leadOf(c, {}, { assign: undefined, assignedAgentId: agent.id });
      const other = await leadOf(c);
      const asAgent = dataOf(
        await own.post('/call-queue', { leadIds: [mine.id, other.id], priority: 'low' }),
        201,
      );
      expect(asAgent.queued.map((e: { leadId: string }) => e.leadId)).toEqual([mine.id]);
      expect(asAgent.skipped).toEqual([{ leadId: other.id, reason: 'not_found' }]);
      expect(
        await c.handle.db.selectFrom('call_queue').where('lead_id', '=', other.id).selectAll().execute(),
      ).toEqual([]);
      expect(dataOf(await own.get('/call-queue')).items.map((e: { leadId: string }) => e.leadId)).toEqual([
        mine.id,
      ]);
    });

    it('lists in the dialer order with filters, removes a waiting entry, refuses one being dialled', async () => {
      const c = await tenantOn(manual);
      const [low1, urgent, low2, high, medium] = [
        await leadOf(c),
        await leadOf(c),
        await leadOf(c),
        await leadOf(c),
        await leadOf(c),
      ];
      await queue(c, [low1.id], 'low');
      await queue(c, [urgent.id], 'urgent');
      await queue(c, [low2.id], 'low', { campaign: 'autumn' });
      await queue(c, [high.id], 'high');
      await queue(c, [medium.id], 'medium');
      const ids = (page: { items: { leadId: string }[] }) => page.items.map((e) => e.leadId);

      const all = dataOf(await c.key.get('/call-queue'));
      expect(ids(all)).toEqual([urgent.id, high.id, medium.id, low1.id, low2.id]);
      expect(all.total).toBe(5);
      // Cursor pages keep the order.
      const first = dataOf(await c.key.get('/call-queue?limit=2'));
      const second = dataOf(await c.key.get(`/call-queue?limit=2&cursor=${first.nextCursor}`));
      expect([...ids(first), ...ids(second)]).toEqual([urgent.id, high.id, medium.id, low1.id]);

      expect(ids(dataOf(await c.key.get('/call-queue?priority=low')))).toEqual([low1.id, low2.id]);
      expect(ids(dataOf(await c.key.get('/call-queue?priority=low,urgent')))).toEqual([
        urgent.id,
        low1.id,
        low2.id,
      ]);
      expect(ids(dataOf(await c.key.get('/call-queue?campaign=autumn')))).toEqual([low2.id]);
      expect(ids(dataOf(await c.key.get(`/call-queue?leadId=${high.id}`)))).toEqual([high.id]);
      expect((await c.key.get('/call-queue?priority=critical')).status).toBe(400);

      const waiting = dataOf(await c.key.get(`/call-queue?leadId=${low1.id}`)).items[0];
      const removed = await c.key.delete(`/call-queue/${waiting.id}`);
      expect(removed.status, removed.text).toBe(200);
      expect(dataOf(removed)).toMatchObject({ id: waiting.id, status: 'removed' });
      expect(dataOf(removed).finishedAt).not.toBeNull();
      expect(ids(dataOf(await c.key.get('/call-queue')))).not.toContain(low1.id);
      expect(ids(dataOf(await c.key.get('/call-queue?status=removed')))).toEqual([low1.id]);
      expect((await c.key.delete(`/call-queue/${waiting.id}`)).status).toBe(409);
      // Once out, the lead may be queued again.
      expect(
        dataOf(await c.key.post('/call-queue', { leadIds: [low1.id], priority: 'low' }), 201).queued,
      ).toHaveLength(1);

      // An entry being dialled stays: 409, unchanged.
      const agent = await agentOf(c);
      expect((await tick(c)).placed).toBe(1);
      const dialing = await entryOf(c, urgent.id);
      expect(dialing).toMatchObject({ status: 'dialing', attempts: 1 });
      const refused = await c.key.delete(`/call-queue/${dialing.id}`);
      expect(refused.status, refused.text).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'conflict', details: { status: 'dialing' } });
      expect(await entryOf(c, urgent.id)).toEqual(dialing);
      expect((await callsOf(c, urgent.id))[0]).toMatchObject({ agent_id: agent.id });
      expect((await c.key.delete(`/call-queue/${crypto.randomUUID()}`)).status).toBe(404);
      await manual.idle();
    });

    it('queues every lead a leads-list filter matches, with counts', async () => {
      const c = await tenantOn(manual);
      const tagged = { tags: ['dialer-batch'] };
      const leads = [];
      for (let i = 0; i < 4; i++) leads.push(await leadOf(c, {}, tagged));
      const untagged = await leadOf(c);
      await queue(c, [leads[0]!.id], 'low');
      expect((await c.key.patch(`/leads/${leads[1]!.id}`, { doNotCall: true })).status).toBe(200);

      const res = await c.key.post('/call-queue/from-filter', {
        filter: { tags: ['dialer-batch'] },
        priority: 'urgent',
        campaign: 'batch',
      });
      expect(res.status, res.text).toBe(200);
      expect(dataOf(res)).toEqual({
        matched: 4,
        queued: 2,
        skipped: { already_queued: 1, do_not_call: 1, not_found: 0 },
        truncated: false,
      });
      const rows = await c.handle.db
        .selectFrom('call_queue')
        .selectAll()
        .where('campaign', '=', 'batch')
        .execute();
      expect(rows.map((row) => row.lead_id).sort()).toEqual([leads[2]!.id, leads[3]!.id].sort());
      expect(rows.every((row) => row.priority === 'urgent')).toBe(true);
      expect(
        await c.handle.db.selectFrom('call_queue').where('lead_id', '=', untagged.id).selectAll().execute(),
      ).toEqual([]);
      expect(
        (await c.key.post('/call-queue/from-filter', { filter: { nope: 1 }, priority: 'low' })).status,
      ).toBe(400);
    });
  });

  describe('progressive dialing', () => {
    it('places one call per free salesperson, each reserved, in queue order; then nothing while they ring', async () => {
      clockAt(wednesdayNoonUtc);
      const c = await tenantOn(manual);
      const free = [await agentOf(c), await agentOf(c), await agentOf(c)];
      // Not free: on a call, in wrap-up, away, unavailable, outside working hours, no phone, inactive.
      const onCall = await agentOf(c);
      await c.handle.db
        .insertInto('calls')
        .values({
          agent_id: onCall.id,
          direction: 'outbound',
          mode: 'click_to_call',
          from_number: callerId,
          to_number: nextPhone(),
          status: 'in-progress',
          queued_at: new Date(wednesdayNoonUtc.getTime() - minute),
        })
        .execute();
      const wrapping = await agentOf(c);
      await c.handle.db
        .insertInto('agent_presence')
        .values({ agent_id: wrapping.id, wrap_up_until: new Date(wednesdayNoonUtc.getTime() + minute) })
        .execute();
      const away = await agentOf(c);
      expect((await c.key.put(`/presence/${away.id}`, { setting: 'away' })).status).toBe(200);
      await agentOf(c, {}, { available: false });
      await agentOf(c, {}, { active: false });
      // Wednesday is ISO day 3: this one works Mondays and Tuesdays only.
      await agentOf(c, {}, { workingHours: { start: '00:00', end: '23:59', weekdays: [1, 2] } });
      dataOf(await c.key.post('/agents', { name: 'No phone', dailyLimit: 1000 }), 201);

      // Six waiting leads for three free salespeople, queued over a few minutes: urgent before low, older first.
      const leads: Record<string, { id: string }> = {};
      const order: [string, string][] = [
        ['low-old', 'low'],
        ['medium', 'medium'],
        ['urgent-new', 'urgent'],
        ['low-new', 'low'],
        ['high', 'high'],
        ['urgent-old', 'urgent'],
      ];
      // urgent-old is queued first though listed last.
      const queuedAt: Record<string, number> = {
        'urgent-old': 0,
        'low-old': 1,
        medium: 2,
        'urgent-new': 3,
        high: 4,
        'low-new': 5,
      };
      for (const [name] of order) leads[name] = await leadOf(c, { outcome: 'no-answer' });
      for (const [name, priority] of [...order].sort((x, y) => queuedAt[x[0]]! - queuedAt[y[0]]!)) {
        vi.setSystemTime(new Date(wednesdayNoonUtc.getTime() - 10 * minute + queuedAt[name]! * minute));
        await queue(c, [leads[name]!.id], priority);
      }
      vi.setSystemTime(wednesdayNoonUtc);

      const result = await tick(c, wednesdayNoonUtc);
      expect(result).toMatchObject({ placed: 3, freeAgents: 3, deferred: 0 });
      const calls = await callsOf(c);
      const placed = calls.filter((call) => call.mode === 'dialer');
      expect(placed).toHaveLength(3);
      const byLead = new Map(Object.entries(leads).map(([name, lead]) => [lead.id, name]));
      expect(placed.map((call) => byLead.get(call.lead_id!)).sort()).toEqual([
        'high',
        'urgent-new',
        'urgent-old',
      ]);
      // Each reserved for a distinct free salesperson, and the provider asked to ring the lead.
      expect(new Set(placed.map((call) => call.agent_id)).size).toBe(3);
      expect(placed.map((call) => call.agent_id).sort()).toEqual(free.map((a) => a.id).sort());
      for (const call of placed) {
        expect(call).toMatchObject({ direction: 'outbound', attempt: 1, campaign: 'default' });
        expect(call.agent_number).toBe(free.find((a) => a.id === call.agent_id)!.phone);
        expect(call.provider_call_sid).toMatch(/^CA/);
      }
      for (const name of ['urgent-old', 'urgent-new', 'high'])
        expect(await entryOf(c, leads[name]!.id)).toMatchObject({ status: 'dialing', attempts: 1 });
      for (const name of ['medium', 'low-old', 'low-new'])
        expect(await entryOf(c, leads[name]!.id)).toMatchObject({ status: 'waiting', attempts: 0 });

      // While those ring (their callbacks held), nobody is free: nothing more is placed.
      await manual.idle();
      expect(await tick(c, new Date(wednesdayNoonUtc.getTime() + 5000))).toMatchObject({
        placed: 0,
        freeAgents: 0,
      });
      expect((await callsOf(c)).filter((call) => call.mode === 'dialer')).toHaveLength(3);
      await manual.deliver();
      await manual.idle();
    });
    it('drops a lead archived since it was queued, and dials the others', async () => {
      const c = await tenantOn(manual);
      await agentOf(c);
      await agentOf(c);
      const [archived, kept] = [
        await leadOf(c, { outcome: 'no-answer' }),
        await leadOf(c, { outcome: 'no-answer' }),
      ];
      await queue(c, [archived.id], 'urgent');
      await queue(c, [kept.id], 'low');
      expect((await c.key.delete(`/leads/${archived.id}`)).status).toBeLessThan(300);
      expect(await tick(c)).toMatchObject({ placed: 1 });
      expect((await callsOf(c)).map((call) => call.lead_id)).toEqual([kept.id]);
      const entry = await entryOf(c, archived.id);
      expect(entry).toMatchObject({ status: 'removed', attempts: 0 });
      expect(entry.finished_at).not.toBeNull();
      await manual.idle();
      await manual.deliver();
    });
  });

  describe('retries and outcomes', () => {
    it('no answer, busy, no answer: backs off 15 min then 1 h, then leaves the queue as not_connected', async () => {
      clockAt(wednesdayNoonUtc);
      const c = await tenantOn(auto);
      await agentOf(c);
      const lead = await leadOf(c, { outcome: 'no-answer' });
      const { queued } = await queue(c, [lead.id]);

      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      let [call] = await callsOf(c, lead.id);
      expect(call).toMatchObject({ status: 'no-answer', outcome: 'missed_call', attempt: 1 });
      let entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({
        id: queued[0].id,
        status: 'waiting',
        attempts: 1,
        last_outcome: 'missed_call',
      });
      expect(entry.next_attempt_at!.getTime()).toBe(call!.ended_at!.getTime() + 15 * minute);

      // Not before the backoff.
      vi.setSystemTime(new Date(entry.next_attempt_at!.getTime() - 1000));
      expect((await tick(c)).placed).toBe(0);
      vi.setSystemTime(entry.next_attempt_at!);
      c.fake.script(lead.phone, { outcome: 'busy' });
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      call = (await callsOf(c, lead.id))[1];
      expect(call).toMatchObject({ status: 'busy', outcome: 'missed_call', attempt: 2 });
      entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'waiting', attempts: 2 });
      expect(entry.next_attempt_at!.getTime()).toBe(call!.ended_at!.getTime() + hour);

      vi.setSystemTime(entry.next_attempt_at!);
      c.fake.script(lead.phone, { outcome: 'no-answer' });
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      call = (await callsOf(c, lead.id))[2];
      expect(call).toMatchObject({ attempt: 3, outcome: 'missed_call' });
      entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'not_connected', attempts: 3, next_attempt_at: null });
      expect(entry.finished_at).toEqual(call!.ended_at);
      vi.setSystemTime(new Date(Date.now() + 24 * hour));
      expect((await tick(c)).placed).toBe(0);
      expect(await callsOf(c, lead.id)).toHaveLength(3);
    });

    it('an answered, bridged call leaves the queue connected', async () => {
      const c = await tenantOn(auto);
      const agent = await agentOf(c, { outcome: 'answer', talkSeconds: 40 });
      const lead = await leadOf(c, { outcome: 'answer', talkSeconds: 40 });
      await queue(c, [lead.id], 'urgent');
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      const [call] = await callsOf(c, lead.id);
      expect(call).toMatchObject({ outcome: 'answered', abandoned: false, agent_id: agent.id });
      expect(call!.bridged_at).not.toBeNull();
      const entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({
        status: 'connected',
        attempts: 1,
        last_outcome: 'answered',
        next_attempt_at: null,
      });
      expect(entry.finished_at).toEqual(call!.ended_at);
      // The salesperson is in wrap-up now: another lead waits for them.
      const next = await leadOf(c);
      await queue(c, [next.id]);
      expect(await tick(c, call!.ended_at!)).toMatchObject({ placed: 0, freeAgents: 0 });
    });

    it('an abandoned call waits at least 72 h, and the cooldown refuses an earlier call', async () => {
      clockAt(wednesdayNoonUtc);
      const c = await tenantOn(auto);
      // The only salesperson does not pick up the bridge: the lead, on the line, is abandoned.
      await agentOf(c, { outcome: 'no-answer' });
      const lead = await leadOf(c, { outcome: 'answer' });
      await queue(c, [lead.id]);
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      const [call] = await callsOf(c, lead.id);
      expect(call).toMatchObject({ outcome: 'answered', abandoned: true });
      const end = call!.ended_at!.getTime();
      const entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'waiting', attempts: 1, last_outcome: 'abandoned' });
      expect(entry.next_attempt_at!.getTime()).toBe(end + 72 * hour);

      // Taken out and queued again: due at once, but the compliance rule puts it off past the cooldown.
      expect((await c.key.delete(`/call-queue/${entry.id}`)).status).toBe(200);
      vi.setSystemTime(new Date(end + 2 * hour));
      const requeued = (await queue(c, [lead.id])).queued[0];
      expect(requeued.nextAttemptAt).toBeNull();
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 1 });
      const putOff = await entryOf(c, lead.id);
      expect(putOff).toMatchObject({ id: requeued.id, status: 'waiting', last_outcome: 'abandon_cooldown' });
      expect(putOff.next_attempt_at!.getTime()).toBeGreaterThanOrEqual(end + 72 * hour);
      vi.setSystemTime(new Date(end + 71 * hour));
      await c.handle.db
        .updateTable('call_queue')
        .set({ next_attempt_at: null })
        .where('id', '=', requeued.id)
        .execute();
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 1 });
      expect(await callsOf(c, lead.id)).toHaveLength(1);
      vi.setSystemTime(new Date(end + 72 * hour + 1000));
      c.fake.script(lead.phone, { outcome: 'no-answer' });
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
    });

    it('a rate-limited placement does not count as an attempt, nor towards the daily cap', async () => {
      clockAt(wednesdayNoonUtc);
      // One call a day: the refused placement must not use it up.
      const c = await tenantOn(auto, { dailyAttemptCap: 1 });
      await agentOf(c);
      const lead = await leadOf(c, { outcome: 'no-answer' });
      await queue(c, [lead.id]);
      c.fake.failNext(1, { code: 20429, status: 429, retryAfterSeconds: 5 });
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      const [refused] = await callsOf(c, lead.id);
      expect(refused).toMatchObject({
        status: 'failed',
        error_code: 'rate_limited',
        provider_call_sid: null,
      });
      let entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'waiting', attempts: 0 });
      expect(entry.next_attempt_at!.getTime()).toBeGreaterThan(Date.now());

      vi.setSystemTime(entry.next_attempt_at!);
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      const calls = await callsOf(c, lead.id);
      expect(calls[1]).toMatchObject({ attempt: 1, status: 'no-answer' });
      entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'waiting', attempts: 1 });
    });
  });

  describe('compliance in the dialer', () => {
    it("puts off entries outside the lead's calling hours to the next opening, and calls then", async () => {
      // Before 09:00 in San Francisco; calling hours 09:00–20:00 there open at its 09:00.
      clockAt(wednesdayNoonUtc);
      const c = await tenantOn(auto, { callingHours: { start: '09:00', end: '20:00' } });
      await agentOf(c);
      const lead = await leadOf(c, { outcome: 'no-answer' });
      await queue(c, [lead.id]);
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 1, freeAgents: 1 });
      const opening = sanFrancisco(0, 9);
      expect(await entryOf(c, lead.id)).toMatchObject({
        status: 'waiting',
        attempts: 0,
        next_attempt_at: opening,
        last_outcome: 'outside_calling_hours',
      });
      vi.setSystemTime(new Date(opening.getTime() - minute));
      expect((await tick(c)).placed).toBe(0);
      expect(await callsOf(c)).toEqual([]);
      vi.setSystemTime(opening);
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
      // The retry 15 min later falls within hours; one at 19:50 local would be put off to the next morning.
      const entry = await entryOf(c, lead.id);
      vi.setSystemTime(sanFrancisco(0, 19, 55)); // open
      await c.handle.db
        .updateTable('call_queue')
        .set({ next_attempt_at: null })
        .where('id', '=', entry.id)
        .execute();
      vi.setSystemTime(sanFrancisco(0, 20)); // closed
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 1 });
      expect((await entryOf(c, lead.id)).next_attempt_at).toEqual(sanFrancisco(1, 9));
      for (const call of await callsOf(c)) {
        const local = DateTime.fromJSDate(call.queued_at, { zone: 'America/Los_Angeles' }).hour;
        expect(local >= 9 && local < 20, call.queued_at.toISOString()).toBe(true);
      }
    });

    it('a lead flagged do-not-call after queueing leaves the queue without a call', async () => {
      const c = await tenantOn(auto);
      await agentOf(c);
      const flagged = await leadOf(c);
      const listed = await leadOf(c);
      await queue(c, [flagged.id, listed.id], 'urgent');
      expect((await c.key.patch(`/leads/${flagged.id}`, { doNotCall: true })).status).toBe(200);
      await c.handle.db.insertInto('do_not_call').values({ phone: listed.phone }).execute();
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 2 });
      for (const lead of [flagged, listed]) {
        const entry = await entryOf(c, lead.id);
        expect(entry).toMatchObject({ status: 'do_not_call', attempts: 0, last_outcome: 'do_not_call' });
        expect(entry.finished_at).not.toBeNull();
      }
      expect(await callsOf(c)).toEqual([]);
      expect(
        c.fake.requests.filter((r) => r.form.To === flagged.phone || r.form.To === listed.phone),
      ).toEqual([]);
    });

    it("respects the per-lead daily attempt cap, then calls on the lead's next day", async () => {
      clockAt(sanFrancisco(0, 10));
      const c = await tenantOn(auto, {
        callingHours: { start: '09:00', end: '20:00' },
        dailyAttemptCap: 2,
        maxAttempts: 5,
        retryBackoff: ['PT15M'],
      });
      await agentOf(c);
      const lead = await leadOf(c, { outcome: 'no-answer' });
      await queue(c, [lead.id]);
      for (let attempt = 1; attempt <= 2; attempt++) {
        expect((await tick(c)).placed).toBe(1);
        await auto.idle();
        vi.setSystemTime((await entryOf(c, lead.id)).next_attempt_at!);
      }
      expect(await tick(c)).toMatchObject({ placed: 0, deferred: 1 });
      const entry = await entryOf(c, lead.id);
      expect(entry).toMatchObject({ status: 'waiting', attempts: 2, last_outcome: 'daily_cap' });
      // The next local day's opening.
      expect(entry.next_attempt_at).toEqual(sanFrancisco(1, 9));
      expect(await callsOf(c, lead.id)).toHaveLength(2);
      vi.setSystemTime(entry.next_attempt_at!);
      expect((await tick(c)).placed).toBe(1);
      await auto.idle();
    });
  });

  describe('dial ratio above 1', () => {
    /** Ended dialer calls of `campaign` in the last 30 days: `answered` of `ended`, `abandoned` of those. */
    async function history(
      c: Tenant,
      ended: number,
      answered: number,
      abandoned: number,
      campaign = 'default',
    ) {
      const now = Date.now();
      await c.handle.db
        .insertInto('calls')
        .values(
          Array.from({ length: ended }, (_, i) => ({
            direction: 'outbound' as const,
            mode: 'dialer' as const,
            campaign,
            from_number: callerId,
            to_number: `+1212555${String(i).padStart(4, '0')}`,
            status: i < answered ? ('completed' as const) : ('no-answer' as const),
            outcome: i < answered ? ('answered' as const) : ('missed_call' as const),
            abandoned: i < abandoned,
            queued_at: new Date(now - 2 * 86_400_000 + i * minute),
            ended_at: new Date(now - 2 * 86_400_000 + i * minute + 30_000),
          })),
        )
        .execute();
    }

    async function ratioTenant(ended: number, answered: number, abandoned: number, fake = auto) {
      const c = await tenantOn(fake, { dialRatio: 2 });
      const agents = [await agentOf(c), await agentOf(c)];
      await history(c, ended, answered, abandoned);
      const leads = [];
      for (let i = 0; i < 6; i++) leads.push(await leadOf(c, { outcome: 'no-answer' }));
      // One by one: queue order (oldest first) is the order of `leads`.
      for (const lead of leads) await queue(c, [lead.id]);
      return { c, agents, leads };
    }

    it('with too little history it stays progressive', async () => {
      const { c } = await ratioTenant(20, 5, 0);
      expect(await tick(c)).toMatchObject({ placed: 2, freeAgents: 2 });
      expect((await callsOf(c)).filter((call) => call.lead_id).every((call) => call.agent_id !== null)).toBe(
        true,
      );
      await auto.idle();
    });

    it('with enough history it places ahead of answers, unreserved; an answer takes a free salesperson', async () => {
      // 40 % answered, no abandonment: ratio 2 (2 free salespeople → 4 calls).
      const { c, agents, leads } = await ratioTenant(400, 160, 0);
      c.fake.script(leads[0]!.phone, { outcome: 'answer', talkSeconds: 20 });
      expect(await tick(c)).toMatchObject({ placed: 4, freeAgents: 2 });
      await auto.idle();
      const placed = (await callsOf(c)).filter((call) => call.lead_id);
      expect(placed).toHaveLength(4);
      expect(placed.map((call) => call.lead_id).sort()).toEqual(
        leads
          .slice(0, 4)
          .map((lead) => lead.id)
          .sort(),
      );
      const answered = (await callsOf(c, leads[0]!.id))[0]!;
      expect(answered).toMatchObject({ outcome: 'answered', abandoned: false });
      expect(agents.map((a) => a.id)).toContain(answered.agent_id);
      expect(answered.bridged_at).not.toBeNull();
      expect(await entryOf(c, leads[0]!.id)).toMatchObject({ status: 'connected' });
      for (const lead of leads.slice(1, 4)) {
        const [call] = await callsOf(c, lead.id);
        expect(call).toMatchObject({ agent_id: null, outcome: 'missed_call' });
      }
    });

    it('places ahead only up to the ratio: calls still ringing unanswered count', async () => {
      const { c, agents } = await ratioTenant(400, 160, 0, manual);
      expect(await tick(c)).toMatchObject({ placed: 4, freeAgents: 2 });
      const placed = (await callsOf(c)).filter((call) => call.lead_id);
      expect(placed.map((call) => [call.agent_id, call.tried_agent_ids])).toEqual(
        placed.map(() => [null, []]),
      );
      await manual.idle();
      // Both salespeople are still free, but four calls ring ahead of an answer: nothing more.
      expect(await tick(c)).toMatchObject({ placed: 0, freeAgents: agents.length });
      await manual.deliver();
      await manual.idle();
    });

    it('with abandonment past the cap it keeps salespeople free: half of them get a reserved call', async () => {
      // 160 answered, 8 abandoned: 5 % ≥ 3 %.
      const { c, agents } = await ratioTenant(400, 160, 8);
      expect(await tick(c)).toMatchObject({ placed: 1, freeAgents: 2 });
      const placed = (await callsOf(c)).filter((call) => call.lead_id);
      expect(placed).toHaveLength(1);
      expect(agents.map((a) => a.id)).toContain(placed[0]!.agent_id);
      await auto.idle();
    });
  });

  describe('the dialer.tick job', () => {
    const ticks = (c: Tenant) =>
      t.app.services.platform
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', c.tenant.tenant.id)
        .where('kind', '=', 'dialer.tick')
        .orderBy('id')
        .execute();

    it('is queued with the leads, places the calls, and comes back while leads wait', async () => {
      const c = await tenantOn(manual);
      const agent = await agentOf(c);
      const [first, second] = [
        await leadOf(c, { outcome: 'no-answer' }),
        await leadOf(c, { outcome: 'no-answer' }),
      ];
      expect(await ticks(c)).toEqual([]);
      const before = Date.now();
      await queue(c, [first.id, second.id], 'high');
      const queued = await ticks(c);
      expect(queued).toHaveLength(1);
      expect(queued[0]).toMatchObject({ status: 'queued', payload: {} });
      expect(queued[0]!.run_at.getTime()).toBeLessThanOrEqual(before + 2000);

      const ran = Date.now();
      await runJob(t, dialerTickJob, c.tenant.tenant.id, queued[0]!.payload as never);
      const [call] = await callsOf(c);
      expect(call).toMatchObject({ mode: 'dialer', agent_id: agent.id });
      expect(call!.lead_id === first.id || call!.lead_id === second.id).toBe(true);
      // One lead still waits: the next tick is in the jobs table, within the poll interval.
      const after = await ticks(c);
      expect(after).toHaveLength(2);
      const next = after[1]!;
      expect(next.status).toBe('queued');
      expect(next.run_at.getTime()).toBeGreaterThan(ran);
      expect(next.run_at.getTime()).toBeLessThanOrEqual(Date.now() + dialerPollMs + 1000);

      // The waiting one taken out, the one ringing ends: the queue is empty, no tick follows a tick.
      const waiting = dataOf(await c.key.get('/call-queue?status=waiting')).items;
      expect(waiting).toHaveLength(1);
      expect((await c.key.delete(`/call-queue/${waiting[0].id}`)).status).toBe(200);
      await manual.idle();
      await manual.deliver();
      expect((await entryOf(c, call!.lead_id!)).status).toBe('waiting');
      await c.handle.db
        .updateTable('call_queue')
        .set({ status: 'removed' })
        .where('status', '=', 'waiting')
        .execute();
      const count = (await ticks(c)).length;
      await runJob(t, dialerTickJob, c.tenant.tenant.id, {});
      expect(await ticks(c)).toHaveLength(count);
    });

    it('while nobody is free, looks again after the poll interval, not every second', async () => {
      const c = await tenantOn(manual);
      const agent = await agentOf(c);
      expect((await c.key.put(`/presence/${agent.id}`, { setting: 'away' })).status).toBe(200);
      const lead = await leadOf(c);
      await queue(c, [lead.id]);
      // A retry that came due while every salesperson was busy.
      await c.handle.db
        .updateTable('call_queue')
        .set({ next_attempt_at: new Date(Date.now() - minute) })
        .where('lead_id', '=', lead.id)
        .execute();
      const count = (await ticks(c)).length;
      const ran = Date.now();
      await runJob(t, dialerTickJob, c.tenant.tenant.id, {});
      const after = await ticks(c);
      expect(after).toHaveLength(count + 1);
      expect(after.at(-1)!.run_at.getTime()).toBeGreaterThanOrEqual(ran + dialerPollMs - 1000);
      expect(await callsOf(c)).toEqual([]);
    });
  });
});
