import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { testDatabaseKind } from '../testing/test-database.js';
import type { TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/** PGlite serialises transactions, so its run is smaller; the server gets the full 200. */
const concurrency = testDatabaseKind === 'postgres' ? 200 : 40;

describe('smart assignment', () => {
  let t: TestApp;
  let phoneCounter = 0;
  const nextPhone = () => `+1415555${String(++phoneCounter).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const handleOf = async (tenant: TestTenant): Promise<TenantHandle> =>
    (await t.app.services.authenticator.authenticate(tenant.tenant.clientCode, tenant.apiKey)).handle;

  async function setup(agents: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'US', ...extra });
    const client = t.crm(tenant);
    const ids: string[] = [];
    for (const agent of agents) {
      const res = await client.post('/agents', agent);
      expect(res.status).toBe(201);
      ids.push(res.body.data.id);
    }
    return { tenant, client, ids };
  }

  async function ingestConcurrently(client: TenantClient, count: number, body: Record<string, unknown> = {}) {
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        client.post('/leads', { name: `Lead ${i}`, phone: nextPhone(), ...body }),
      ),
    );
    for (const res of results) expect(res.status).toBe(201);
    return results.map((res) => res.body.data.lead);
  }

  async function countsByAgent(tenant: TestTenant) {
    const handle = await handleOf(tenant);
    const rows = await handle.db
      .selectFrom('leads')
      .select(['assigned_agent_id', sql<number>`count(*)::int`.as('n')])
      .groupBy('assigned_agent_id')
      .execute();
    return new Map(rows.map((row) => [row.assigned_agent_id, row.n]));
  }

  it(`round robin: ${concurrency} concurrent ingests spread within 1, nothing lost or duplicated`, async () => {
    const { tenant, client, ids } = await setup(Array.from({ length: 7 }, (_, i) => ({ name: `RR ${i}` })));
    const leads = await ingestConcurrently(client, concurrency);
    expect(new Set(leads.map((lead) => lead.id)).size).toBe(concurrency);
    expect(new Set(leads.map((lead) => lead.ref)).size).toBe(concurrency);
    const counts = await countsByAgent(tenant);
    expect(counts.get(null)).toBeUndefined();
    const perAgent = ids.map((id) => counts.get(id) ?? 0);
    expect(perAgent.reduce((sum, n) => sum + n, 0)).toBe(concurrency);
    expect(Math.max(...perAgent) - Math.min(...perAgent)).toBeLessThanOrEqual(1);
    const agents = (await client.get('/agents')).body.data.items;
    expect(agents.map((agent: any) => agent.assignedToday).sort()).toEqual(perAgent.sort());
    // The decision is recorded in the lead's activity.
    const timeline = (await client.get(`/leads/${leads[0].id}/activity`)).body.data.items;
    expect(timeline[1]).toMatchObject({
      kind: 'assigned',
      data: { strategy: 'round_robin', ruleName: 'fallback: all active agents', sticky: false },
    });
    expect(timeline[1].data.candidates.length).toBeGreaterThan(0);
  });

  it('daily limit: no agent above its limit under concurrency; the rest waits unassigned with the reason', async () => {
    const { tenant, client, ids } = await setup([
      { name: 'L1', dailyLimit: 5 },
      { name: 'L2', dailyLimit: 7 },
      { name: 'L3', dailyLimit: 3 },
    ]);
    const leads = await ingestConcurrently(client, concurrency);
    const counts = await countsByAgent(tenant);
    expect(ids.map((id) => counts.get(id))).toEqual([5, 7, 3]);
    expect(counts.get(null)).toBe(concurrency - 15);
    const waiting = leads.filter((lead) => !lead.assignedAgentId);
    expect(new Set(waiting.map((lead) => lead.unassignedReason))).toEqual(new Set(['daily_limit_reached']));
    const agents = (await client.get('/agents')).body.data.items;
    for (const agent of agents) expect(agent.assignedToday).toBe(agent.dailyLimit);

    // Raising a limit offers the waiting leads at once, oldest first.
    const raised = await t.crm(tenant).patch(`/agents/${ids[2]}`, { dailyLimit: 6 });
    expect(raised.body.data.assignedToday).toBe(6);
    expect((await countsByAgent(tenant)).get(null)).toBe(concurrency - 18);
  });

  it('weighted 3:1 gives shares within 2 points over 1,000 leads', async () => {
    const { tenant, client, ids } = await setup([
      { name: 'Heavy', weight: 3 },
      { name: 'Light', weight: 1 },
    ]);
    await client.post('/assignment-rules', { name: 'weighted', strategy: 'weighted' });
    for (let sent = 0; sent < 1000; sent += concurrency) {
      await ingestConcurrently(client, Math.min(concurrency, 1000 - sent));
    }
    const counts = await countsByAgent(tenant);
    const heavy = counts.get(ids[0]!)! / 1000;
    const light = counts.get(ids[1]!)! / 1000;
    expect(heavy + light).toBe(1);
    expect(Math.abs(heavy - 0.75)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(light - 0.25)).toBeLessThanOrEqual(0.02);
  });

  it('least loaded: the agent with the fewest open leads goes first', async () => {
    const { client, ids } = await setup([{ name: 'Busy' }, { name: 'Free' }]);
    const [busy, free] = ids;
    await client.post('/assignment-rules', { name: 'load', strategy: 'least_loaded' });
    for (let i = 0; i < 3; i++)
      await client.post('/leads', { name: `Old ${i}`, phone: nextPhone(), assignedAgentId: busy });
    await client.post('/leads', { name: 'Mine', phone: nextPhone(), assignedAgentId: free });
    const leads = await ingestConcurrently(client, 4);
    const toFree = leads.filter((lead) => lead.assignedAgentId === free).length;
    // Busy has 3 open leads, Free 1: Free takes two, then the tie goes to the one assigned longer ago.
    expect(toFree).toBe(3);
  });

  it('rules: first match wins, territory, language; fallback otherwise', async () => {
    const { client, ids } = await setup([
      { name: 'North', territories: ['Punjab'] },
      { name: 'South', territories: ['Kerala', 'Goa'] },
      { name: 'Hindi', languages: ['hi'] },
    ]);
    const [north, south, hindi] = ids;
    await client.post('/assignment-rules', {
      name: 'hindi',
      position: 1,
      conditions: { languages: ['hi'] },
      agentIds: [hindi],
    });
    await client.post('/assignment-rules', {
      name: 'territory',
      position: 2,
      conditions: { states: ['Punjab', 'Kerala'] },
      matchTerritory: true,
      agentIds: [north, south],
    });
    const rules = (await client.get('/assignment-rules')).body.data.items;
    expect(rules.map((rule: any) => rule.name)).toEqual(['hindi', 'territory']);

    const hi = (
      await client.post('/leads', { name: 'H', phone: nextPhone(), language: 'HI', state: 'kerala' })
    ).body.data.lead;
    expect(hi.assignedAgentId).toBe(hindi);
    const kerala = (await client.post('/leads', { name: 'K', phone: nextPhone(), state: 'KERALA' })).body.data
      .lead;
    expect(kerala.assignedAgentId).toBe(south);
    const punjab = (await client.post('/leads', { name: 'P', phone: nextPhone(), state: 'Punjab' })).body.data
      .lead;
    expect(punjab.assignedAgentId).toBe(north);
    const other = (await client.post('/leads', { name: 'O', phone: nextPhone(), state: 'Texas' })).body.data
      .lead;
    expect(ids).toContain(other.assignedAgentId);
    const timeline = (await client.get(`/leads/${kerala.id}/activity`)).body.data.items;
    expect(timeline[1].data).toMatchObject({ ruleName: 'territory', candidates: [south] });

    expect(
      (
        await client.post('/assignment-rules', {
          name: 'bad',
          agentIds: ['00000000-0000-4000-8000-000000000000'],
        })
      ).status,
    ).toBe(400);
    expect((await client.post('/assignment-rules', { name: 'bad', strategy: 'random' })).status).toBe(400);
  });

  it('nothing is lost: no eligible agent → unassigned with reason, picked up when an agent becomes available', async () => {
    const { client, ids } = await setup([{ name: 'Away', available: false }]);
    const lead = (await client.post('/leads', { name: 'Wait', phone: nextPhone() })).body.data.lead;
    expect(lead).toMatchObject({ assignedAgentId: null, unassignedReason: 'no_available_agents' });
    const unassigned = await client.get('/leads?agentId=unassigned');
    expect(unassigned.body.data.total).toBe(1);
    expect((await client.post('/leads/assign-pending', {})).body.data).toEqual({
      examined: 1,
      assigned: 0,
      stillPending: 1,
    });

    const back = await client.put(`/agents/${ids[0]}/availability`, { available: true });
    expect(back.body.data).toMatchObject({ available: true, assignedToday: 1 });
    expect((await client.get(`/leads/${lead.id}`)).body.data.assignedAgentId).toBe(ids[0]);
  });

  it('outside working hours and without agents the reason says so', async () => {
    const local = new Date();
    const hour = local.getUTCHours();
    const start = `${String((hour + 2) % 24).padStart(2, '0')}:00`;
    const end = `${String((hour + 3) % 24).padStart(2, '0')}:00`;
    const { client } = await setup(
      [{ name: 'Night', workingHours: { start, end, weekdays: [1, 2, 3, 4, 5, 6, 7] } }],
      { timezone: 'UTC' },
    );
    const lead = (await client.post('/leads', { name: 'Late', phone: nextPhone() })).body.data.lead;
    expect(lead.unassignedReason).toBe('outside_working_hours');

    const empty = await setup([]);
    const orphan = (await empty.client.post('/leads', { name: 'Nobody', phone: nextPhone() })).body.data.lead;
    expect(orphan.unassignedReason).toBe('no_agents_in_pool');
  });

  it('sticky ownership: a returning phone goes back to its previous owner', async () => {
    const { tenant, client, ids } = await setup([{ name: 'S1' }, { name: 'S2' }, { name: 'S3' }]);
    const phone = nextPhone();
    const first = (await client.post('/leads', { name: 'Back', phone })).body.data.lead;
    await t.crm(tenant).delete(`/leads/${first.id}`);
    for (let i = 0; i < 2; i++) await client.post('/leads', { name: 'Other', phone: nextPhone() });
    const again = (await client.post('/leads', { name: 'Back again', phone })).body.data.lead;
    expect(again.id).not.toBe(first.id);
    expect(again.assignedAgentId).toBe(first.assignedAgentId);
    const timeline = (await client.get(`/leads/${again.id}/activity`)).body.data.items;
    expect(timeline[1].data.sticky).toBe(true);
    expect(ids).toContain(again.assignedAgentId);
  });

  it("counts the day in the tenant's timezone and starts a new count each local day", async () => {
    const { tenant, client, ids } = await setup([{ name: 'Kiri', dailyLimit: 1 }], {
      timezone: 'Pacific/Kiritimati',
    });
    await client.post('/leads', { name: 'One', phone: nextPhone() });
    const handle = await handleOf(tenant);
    const agent = await handle.db
      .selectFrom('agents')
      .select(sql<string>`assigned_date::text`.as('day'))
      .where('id', '=', ids[0]!)
      .executeTakeFirstOrThrow();
    const localToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(
      new Date(),
    );
    expect(agent.day).toBe(localToday);
    const blocked = (await client.post('/leads', { name: 'Two', phone: nextPhone() })).body.data.lead;
    expect(blocked.unassignedReason).toBe('daily_limit_reached');

    // Yesterday's count (local) no longer limits today.
    await sql`update ${sql.id(handle.schema, 'agents')} set assigned_date = assigned_date - 1`.execute(
      handle.db,
    );
    expect((await client.get(`/agents/${ids[0]}`)).body.data.assignedToday).toBe(0);
    const next = (await client.post('/leads', { name: 'Three', phone: nextPhone() })).body.data.lead;
    expect(next.assignedAgentId).toBe(ids[0]);
  });
});
