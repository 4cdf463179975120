import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { CallMode, CallOutcome } from '../calls/calls.tables.js';

/**
 * Issue 21 "Stats": per salesperson and per campaign, every figure equals a recomputation in
 * plain TypeScript from the seeded call log and call queue, for the API key (sees all) and for an
 * agent of own scope; calls at and beyond the period's bounds, open calls, machine answers and
 * abandoned calls included.
 */

const from = '2026-03-01T00:00:00.000Z';
const to = '2026-03-15T00:00:00.000Z';
const dayMs = 86_400_000;

type Owner = 'A' | 'B' | 'C' | null;

interface SeededCall {
  agent: Owner;
  /** The owner of the lead called (null: unassigned; undefined: a call with no lead). */
  leadOwner: 'A' | 'B' | null | undefined;
  campaign: string | null;
  mode: CallMode;
  outcome: CallOutcome | null;
  answeredBy: string | null;
  abandoned: boolean;
  bridged: boolean;
  queuedAt: Date;
  ended: boolean;
  talkSeconds: number | null;
}

/** A deterministic sequence in [0, 1) (a linear congruential generator). */
function sequence(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}
const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

/** The call log of the test: a mix of every kind of call, and explicit rows at the bounds. */
function seededCalls(now: Date): SeededCall[] {
  const next = sequence(21);
  const calls: SeededCall[] = [];
  const windowStart = Date.parse(from) - 3 * dayMs;
  const windowMs = Date.parse(to) + 3 * dayMs - windowStart;
  for (let i = 0; i < 160; i++) {
    const mode = pick(next, ['dialer', 'dialer', 'click_to_call', 'inbound'] as const);
    const ended = next() > 0.1;
    const outcome = ended
      ? pick(next, [
          'answered',
          'answered',
          'answered',
          'missed_call',
          'not_connected',
          'switched_off',
        ] as const)
      : null;
    const answeredBy =
      outcome === 'answered'
        ? pick(next, [null, 'human', 'human', 'unknown', 'machine_end_beep'])
        : outcome === 'missed_call'
          ? pick(next, [null, 'machine_start', 'fax'])
          : null;
    const abandoned = outcome === 'answered' && mode === 'dialer' && next() < 0.3;
    const bridged = outcome === 'answered' && !abandoned && mode !== 'click_to_call' && next() < 0.85;
    const talks =
      bridged || (mode === 'click_to_call' && outcome === 'answered') || (abandoned && next() < 0.5);
    calls.push({
      agent: abandoned && next() < 0.5 ? null : pick(next, ['A', 'A', 'B', 'C', null] as const),
      leadOwner: pick(next, ['A', 'B', null, undefined] as const),
      campaign: mode === 'dialer' ? pick(next, ['spring', 'spring', 'autumn']) : null,
      mode,
      outcome,
      answeredBy,
      abandoned,
      bridged,
      queuedAt: new Date(windowStart + Math.floor(next() * windowMs)),
      ended,
      talkSeconds: talks ? 1 + Math.floor(next() * 600) : null,
    });
  }
  const edge = (queuedAt: Date, change: Partial<SeededCall> = {}): SeededCall => ({
    agent: 'A',
    leadOwner: 'A',
    campaign: 'spring',
    mode: 'dialer',
    outcome: 'answered',
    answeredBy: 'human',
    abandoned: false,
    bridged: true,
    queuedAt,
    ended: true,
    talkSeconds: 100,
    ...change,
  });
  calls.push(
    edge(new Date(from), { talkSeconds: 7 }), // at `from`: in
    edge(new Date(Date.parse(from) - 1)), // just before: out
    edge(new Date(to)), // at `to`: out
    edge(new Date(Date.parse(to) - 1), { agent: 'B', leadOwner: 'B', talkSeconds: 11 }), // in
    edge(new Date(Date.parse(from) + dayMs), { outcome: null, ended: false, bridged: true }), // open, bridged: out
    edge(new Date(Date.parse(from) + dayMs), {
      outcome: 'missed_call',
      answeredBy: 'machine_start',
      bridged: false,
      talkSeconds: null,
    }),
    edge(new Date(Date.parse(from) + 2 * dayMs), {
      abandoned: true,
      bridged: false,
      agent: null,
      talkSeconds: 5,
    }),
    // The default period (the last 30 days up to now): inside and outside it.
    edge(new Date(now.getTime() - 29 * dayMs), { campaign: 'recent' }),
    edge(new Date(now.getTime() - 31 * dayMs), { campaign: 'recent', agent: 'B', leadOwner: 'B' }),
  );
  return calls;
}

interface QueueEntry {
  campaign: string;
  status: 'waiting' | 'dialing' | 'connected' | 'not_connected' | 'removed' | 'do_not_call';
  leadOwner: 'A' | 'B' | null;
}

/** The call queue: spring and autumn (with calls), winter (waiting, no calls), old (finished, no calls). */
function seededQueue(): QueueEntry[] {
  const entries: QueueEntry[] = [];
  const owners = ['A', 'B', null] as const;
  const statuses = ['waiting', 'dialing', 'connected', 'not_connected', 'removed', 'do_not_call'] as const;
  for (let i = 0; i < 24; i++)
    entries.push({ campaign: 'spring', status: statuses[i % 6]!, leadOwner: owners[i % 3]! });
  for (let i = 0; i < 5; i++)
    entries.push({ campaign: 'autumn', status: 'removed', leadOwner: owners[i % 3]! });
  for (let i = 0; i < 4; i++)
    entries.push({ campaign: 'winter', status: 'waiting', leadOwner: owners[i % 3]! });
  for (let i = 0; i < 3; i++)
    entries.push({ campaign: 'old', status: 'not_connected', leadOwner: owners[i % 3]! });
  return entries;
}

// The recomputation: the figures the issue defines, from the seeded rows.

const isAnswered = (call: SeededCall) =>
  call.outcome === 'answered' && !(call.answeredBy?.startsWith('machine') || call.answeredBy === 'fax');
const isConnected = (call: SeededCall) =>
  call.bridged || (call.mode === 'click_to_call' && call.outcome === 'answered');
const share = (a: number, b: number) => (b === 0 ? null : a / b);

function inPeriod(calls: SeededCall[], period: { from: string; to: string }, campaign?: string) {
  return calls.filter(
    (call) =>
      call.ended &&
      call.queuedAt.getTime() >= Date.parse(period.from) &&
      call.queuedAt.getTime() < Date.parse(period.to) &&
      (campaign === undefined || call.campaign === campaign),
  );
}

function agentFigures(calls: SeededCall[]) {
  const connected = calls.filter(isConnected);
  const talkSeconds = connected.reduce((sum, call) => sum + (call.talkSeconds ?? 0), 0);
  return {
    calls: calls.length,
    connected: connected.length,
    connectRate: share(connected.length, calls.length),
    talkSeconds,
    averageTalkSeconds: share(talkSeconds, connected.length),
  };
}

function campaignFigures(calls: SeededCall[], queue: QueueEntry[]) {
  const answered = calls.filter(isAnswered);
  const abandoned = answered.filter((call) => call.abandoned).length;
  const connected = answered.length - abandoned;
  const counts = Object.fromEntries(
    ['waiting', 'dialing', 'connected', 'not_connected', 'removed', 'do_not_call'].map((status) => [
      status,
      queue.filter((entry) => entry.status === status).length,
    ]),
  );
  return {
    calls: calls.length,
    answered: answered.length,
    abandoned,
    abandonRate: share(abandoned, answered.length),
    connected,
    attemptsPerConnect: share(calls.length, connected),
    queue: counts,
  };
}

describe('call statistics', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let key: TenantClient;
  let asA: TenantClient;
  let db: TenantDb;
  const now = new Date();
  const calls = seededCalls(now);
  const queue = seededQueue();
  const agents = {} as Record<'A' | 'B' | 'C', { id: string; name: string }>;
  const names = { A: 'Ada', B: 'Bea', C: 'Cy' };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', RATE_LIMIT_MAX: '1000000' });
    tenant = await t.createTenant('callstats');
    key = t.crm(tenant);
    db = (await tenantHandle(t, tenant.tenant.id)).db;
    for (const owner of ['A', 'B', 'C'] as const) {
      const agent = dataOf(await key.post('/agents', { name: names[owner], dailyLimit: 500 }), 201);
      agents[owner] = { id: agent.id, name: names[owner] };
    }
    const userA = await addTestUser(t, tenant, { role: 'agent', agentId: agents.A.id });
    asA = tenantClient(t.request, '/api/crm', userA.headers);

    let phones = 0;
    const leadOf = async (owner: Owner) => {
      const phone = `+1415888${String(++phones).padStart(4, '0')}`;
      const { lead } = dataOf(
        await key.post('/leads', {
          firstName: `Caller ${phones}`,
          phone,
          ...(owner ? { assignedAgentId: agents[owner].id } : { assign: false }),
        }),
        201,
      );
      return { id: lead.id as string, phone };
    };
    const leadsOf = { A: await leadOf('A'), B: await leadOf('B'), none: await leadOf(null) };
    await db
      .insertInto('calls')
      .values(
        calls.map((call, i) => {
          const lead =
            call.leadOwner === undefined
              ? null
              : (leadsOf[call.leadOwner === null ? 'none' : call.leadOwner] ?? null);
          const queuedAt = call.queuedAt.getTime();
          return {
            lead_id: lead?.id ?? null,
            agent_id: call.agent ? agents[call.agent].id : null,
            campaign: call.campaign,
            direction: call.mode === 'inbound' ? ('inbound' as const) : ('outbound' as const),
            mode: call.mode,
            from_number: '+14150000000',
            to_number: lead?.phone ?? `+1415999${String(i).padStart(4, '0')}`,
            status: call.ended ? ('completed' as const) : ('in-progress' as const),
            outcome: call.outcome,
            answered_by: call.answeredBy,
            abandoned: call.abandoned,
            attempt: 1 + (i % 3),
            queued_at: call.queuedAt,
            answered_at: call.outcome === 'answered' ? new Date(queuedAt + 20_000) : null,
            bridged_at: call.bridged ? new Date(queuedAt + 22_000) : null,
            ended_at: call.ended ? new Date(queuedAt + 900_000) : null,
            ring_seconds: 20,
            talk_seconds: call.talkSeconds,
          };
        }),
      )
      .execute();
    // Queue entries: waiting or dialing at most once per lead, so each entry has its own lead.
    for (const entry of queue) {
      const lead = await leadOf(entry.leadOwner);
      await db
        .insertInto('call_queue')
        .values({
          lead_id: lead.id,
          campaign: entry.campaign,
          priority: 'medium',
          priority_rank: 2,
          status: entry.status,
          timezones: ['UTC'],
          queued_at: new Date(from),
        })
        .execute();
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  const period = { from, to };
  const range = `from=${from}&to=${to}`;
  const agentsSeenBy = { key: ['A', 'B', 'C'], A: ['A'] } as const;
  const leadOwnersSeenBy = { key: ['A', 'B', null, undefined], A: ['A'] } as const;

  function expectedAgents(seen: readonly string[], rows: SeededCall[]) {
    const listed = (['A', 'B', 'C'] as const).filter(
      (owner) => seen.includes(owner) && rows.some((call) => call.agent === owner),
    );
    const visible = rows.filter((call) => call.agent !== null && seen.includes(call.agent));
    return {
      period,
      agents: listed
        .sort((a, b) => names[a].localeCompare(names[b]))
        .map((owner) => ({
          agent: agents[owner],
          ...agentFigures(rows.filter((call) => call.agent === owner)),
        })),
      totals: agentFigures(visible),
    };
  }

  it('per salesperson: calls, connected, connect rate and talk time of ended calls queued in the period', async () => {
    const all = inPeriod(calls, period);
    expect(all.length).toBeGreaterThan(80);
    expect(dataOf(await key.get(`/call-stats/agents?${range}`))).toEqual(
      expectedAgents(agentsSeenBy.key, all),
    );
    // An agent of own scope: their row only.
    const own = dataOf(await asA.get(`/call-stats/agents?${range}`));
    expect(own).toEqual(expectedAgents(agentsSeenBy.A, all));
    expect(own.agents.map((row: any) => row.agent.id)).toEqual([agents.A.id]);
    expect(dataOf(await asA.get(`/call-stats/agents?${range}&agentId=${agents.B.id}`)).agents).toEqual([]);
    // Filters.
    expect(dataOf(await key.get(`/call-stats/agents?${range}&agentId=${agents.B.id}`))).toEqual(
      expectedAgents(['B'], all),
    );
    expect(dataOf(await key.get(`/call-stats/agents?${range}&campaign=spring`))).toEqual(
      expectedAgents(agentsSeenBy.key, inPeriod(calls, period, 'spring')),
    );
  });

  function expectedCampaigns(seen: readonly (Owner | undefined)[], rows: SeededCall[], campaign?: string) {
    const visibleCalls = rows.filter((call) => seen.includes(call.leadOwner));
    const visibleQueue = queue.filter(
      (entry) => seen.includes(entry.leadOwner) && (campaign === undefined || entry.campaign === campaign),
    );
    const live = visibleQueue.filter((entry) => entry.status === 'waiting' || entry.status === 'dialing');
    const names = [
      ...new Set([...visibleCalls.map((call) => call.campaign), ...live.map((entry) => entry.campaign)]),
    ];
    names.sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
    const queueOf = (name: string | null) => visibleQueue.filter((entry) => entry.campaign === name);
    return {
      period,
      campaigns: names.map((name) => ({
        campaign: name,
        ...campaignFigures(
          visibleCalls.filter((call) => call.campaign === name),
          queueOf(name),
        ),
      })),
      totals: campaignFigures(
        visibleCalls,
        visibleQueue.filter((entry) => names.includes(entry.campaign)),
      ),
    };
  }

  it('per campaign: answered, abandoned and its rate, connected, attempts per connect, and the queue', async () => {
    const all = inPeriod(calls, period);
    const body = dataOf(await key.get(`/call-stats/campaigns?${range}`));
    expect(body).toEqual(expectedCampaigns(leadOwnersSeenBy.key, all));
    // Manual calls are `campaign: null`; winter has only waiting entries; old only finished ones.
    expect(body.campaigns.map((row: any) => row.campaign)).toEqual(['autumn', 'spring', 'winter', null]);
    const spring = body.campaigns[1];
    expect(spring.abandoned).toBeGreaterThan(0);
    expect(spring.answered).toBeGreaterThan(spring.abandoned);
    // By lead owner for an agent of own scope.
    expect(dataOf(await asA.get(`/call-stats/campaigns?${range}`))).toEqual(
      expectedCampaigns(leadOwnersSeenBy.A, all),
    );
    expect(dataOf(await key.get(`/call-stats/campaigns?${range}&campaign=spring`))).toEqual(
      expectedCampaigns(leadOwnersSeenBy.key, inPeriod(calls, period, 'spring'), 'spring'),
    );
  });

  it('defaults to the last 30 days up to now', async () => {
    const before = Date.now();
    const body = dataOf(await key.get('/call-stats/agents?campaign=recent'));
    const after = Date.now();
    const end = Date.parse(body.period.to);
    expect(end).toBeGreaterThanOrEqual(before);
    expect(end).toBeLessThanOrEqual(after);
    expect(Date.parse(body.period.from)).toBe(end - 30 * dayMs);
    const recent = inPeriod(calls, body.period, 'recent');
    expect(recent).toHaveLength(1);
    expect(body).toEqual({ ...expectedAgents(agentsSeenBy.key, recent), period: body.period });
    const campaigns = dataOf(await key.get('/call-stats/campaigns?campaign=recent'));
    expect(campaigns.campaigns.map((row: any) => [row.campaign, row.calls])).toEqual([['recent', 1]]);
  });

  it('refuses a reversed, empty or too long period, bad values and unknown parameters', async () => {
    const refused = async (query: string) => {
      for (const path of ['/call-stats/agents', '/call-stats/campaigns']) {
        const res = await key.get(`${path}?${query}`);
        expect(res.status, `${path}?${query}: ${res.text}`).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
    };
    await refused(`from=${to}&to=${from}`);
    await refused(`from=${from}&to=${from}`);
    await refused(`from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z`);
    await refused('from=yesterday');
    await refused('to=2026-03-01');
    await refused('color=blue');
    await refused('campaign=');
    expect((await key.get('/call-stats/agents?agentId=nope')).status).toBe(400);
    expect((await key.get(`/call-stats/campaigns?agentId=${agents.A.id}`)).status).toBe(400);
    // 366 days is the longest period.
    expect(
      (await key.get('/call-stats/agents?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')).status,
    ).toBe(200);
  });
});
