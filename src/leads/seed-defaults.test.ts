import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

/** The behaviours users of the systems Switchyard replaces expect without configuring anything (issue 16). */
describe('seed defaults', () => {
  let t: TestApp;
  let phoneCounter = 0;
  const nextPhone = () => `+1415556${String(++phoneCounter).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  async function setup(agents: Record<string, unknown>[]) {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'US' });
    const client = t.crm(tenant);
    const ids: string[] = [];
    for (const agent of agents) {
      const res = await client.post('/agents', agent);
      expect(res.status).toBe(201);
      ids.push(res.body.data.id);
    }
    return { tenant, client, ids };
  }

  const ingest = async (client: TenantClient, body: Record<string, unknown> = {}) => {
    const res = await client.post('/leads', { name: 'Lead', phone: nextPhone(), ...body });
    expect(res.status).toBe(201);
    return res.body.data.lead;
  };
  const assignedActivity = async (client: TenantClient, leadId: string) =>
    (await client.get(`/leads/${leadId}/activity`)).body.data.items.find(
      (entry: any) => entry.kind === 'assigned',
    );

  describe('territory matching without rules', () => {
    it('gives a lead to the agents covering its state, round robin, under concurrency; else to every agent', async () => {
      const { client, ids } = await setup([
        { name: 'West 1', territories: ['CA'] },
        { name: 'West 2', territories: ['ca', 'NY'] },
        { name: 'Anywhere' },
      ]);
      const [west1, west2, anywhere] = ids as [string, string, string];
      expect((await client.get('/assignment-rules')).body.data.items).toEqual([]);

      const californians = await Promise.all(
        Array.from({ length: 20 }, () => ingest(client, { state: 'CA' })),
      );
      const counts = new Map<string, number>();
      for (const lead of californians)
        counts.set(lead.assignedAgentId, (counts.get(lead.assignedAgentId) ?? 0) + 1);
      expect(counts.get(anywhere)).toBeUndefined();
      expect(Math.abs((counts.get(west1) ?? 0) - (counts.get(west2) ?? 0))).toBeLessThanOrEqual(1);
      expect((counts.get(west1) ?? 0) + (counts.get(west2) ?? 0)).toBe(20);
      const matched = await assignedActivity(client, californians[0].id);
      expect(matched.data.candidates.sort()).toEqual([west1, west2].sort());
      expect(matched.data.territoryFallback).toBeUndefined();

      // No agent covers Texas, and a lead without a state has no territory: every agent takes part.
      const texans = await Promise.all(Array.from({ length: 6 }, () => ingest(client, { state: 'TX' })));
      expect(new Set(texans.map((lead) => lead.assignedAgentId))).toEqual(new Set(ids));
      const fallback = await assignedActivity(client, texans[0].id);
      expect(fallback.data).toMatchObject({ territoryFallback: true });
      expect(fallback.data.candidates.sort()).toEqual([...ids].sort());
      const stateless = await Promise.all(Array.from({ length: 6 }, () => ingest(client)));
      expect(new Set(stateless.map((lead) => lead.assignedAgentId))).toEqual(new Set(ids));
    });

    it('the fallback spreads evenly over an even number of agents (no ticket lost to the empty territory pool)', async () => {
      const { tenant, client, ids } = await setup([
        { name: 'Even 1', territories: ['WA'] },
        { name: 'Even 2' },
      ]);
      const owners: string[] = [];
      for (let i = 0; i < 8; i++) owners.push((await ingest(client, { state: 'TX' })).assignedAgentId);
      expect(owners.filter((id) => id === ids[0]).length).toBe(4);
      expect(owners.filter((id) => id === ids[1]).length).toBe(4);
      // The batch path too: one-row imports, one batch each.
      for (let i = 0; i < 8; i++) {
        const res = await t.request('/api/crm/leads/import?mode=sync', {
          headers: { ...tenant.headers, 'content-type': 'text/csv' },
          body: `name,phone,state\nImported ${i},${nextPhone()},TX\n`,
        });
        expect(res.body.data).toMatchObject({ created: 1 });
      }
      const imported = (await client.get('/leads?q=imported&limit=100')).body.data.items;
      expect(imported).toHaveLength(8);
      const importedTo = (id: string) => imported.filter((lead: any) => lead.assignedAgentId === id).length;
      expect([importedTo(ids[0]!), importedTo(ids[1]!)]).toEqual([4, 4]);
    });

    it('falls back to the other agents when the covering ones cannot take the lead (availability, daily limit)', async () => {
      const { client, ids } = await setup([
        { name: 'NY full', territories: ['NY'], dailyLimit: 1 },
        { name: 'NY away', territories: ['NY'], available: false },
        { name: 'Other' },
      ]);
      const [full, , other] = ids as [string, string, string];
      expect((await ingest(client, { state: 'ny' })).assignedAgentId).toBe(full);
      // The only NY agent that could take it is at its daily limit: the lead still gets an owner.
      const next = await ingest(client, { state: 'NY' });
      expect(next.assignedAgentId).toBe(other);
      expect(
        (await client.get('/agents')).body.data.items.find((agent: any) => agent.id === full).assignedToday,
      ).toBe(1);
    });

    it('a bulk CSV import routes as single ingest does', async () => {
      const { tenant, client, ids } = await setup([
        { name: 'West', territories: ['CA'] },
        { name: 'East', territories: ['NY'] },
        { name: 'Anywhere' },
      ]);
      const [west, east] = ids as [string, string, string];
      const rows = Array.from({ length: 12 }, (_, i) => {
        const state = ['CA', 'NY', 'TX'][i % 3]!;
        return `Row ${i},${nextPhone()},${state}`;
      });
      const res = await t.request('/api/crm/leads/import?mode=sync', {
        headers: { ...tenant.headers, 'content-type': 'text/csv' },
        body: `name,phone,state\n${rows.join('\n')}\n`,
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ rows: 12, created: 12, failed: 0 });
      const leads = (await client.get('/leads?limit=100')).body.data.items;
      const ownersOf = (state: string) =>
        new Set(leads.filter((lead: any) => lead.state === state).map((lead: any) => lead.assignedAgentId));
      expect(ownersOf('CA')).toEqual(new Set([west]));
      expect(ownersOf('NY')).toEqual(new Set([east]));
      expect(ownersOf('TX')).toEqual(new Set(ids));
      const texan = leads.find((lead: any) => lead.state === 'TX');
      expect((await assignedActivity(client, texan.id)).data).toMatchObject({ territoryFallback: true });
    });

    it('a matchTerritory rule falls back to its own pool, unless territoryFallback is false', async () => {
      const { client, ids } = await setup([
        { name: 'Pool CA', territories: ['CA'] },
        { name: 'Pool plain' },
        { name: 'Outside NY', territories: ['NY'] },
      ]);
      const [poolCa, poolPlain, outside] = ids as [string, string, string];
      const rule = await client.post('/assignment-rules', {
        name: 'pool',
        matchTerritory: true,
        agentIds: [poolCa, poolPlain],
      });
      expect(rule.status).toBe(201);
      expect(rule.body.data).toMatchObject({ matchTerritory: true, territoryFallback: true });
      expect((await ingest(client, { state: 'CA' })).assignedAgentId).toBe(poolCa);
      // NY is covered only outside the rule's pool: the rule's whole pool takes it.
      const ny = await Promise.all(Array.from({ length: 4 }, () => ingest(client, { state: 'NY' })));
      expect(new Set(ny.map((lead) => lead.assignedAgentId))).toEqual(new Set([poolCa, poolPlain]));
      expect(ny.map((lead) => lead.assignedAgentId)).not.toContain(outside);
      expect((await assignedActivity(client, ny[0].id)).data).toMatchObject({
        ruleName: 'pool',
        territoryFallback: true,
      });

      const strict = await client.patch(`/assignment-rules/${rule.body.data.id}`, {
        territoryFallback: false,
      });
      expect(strict.status).toBe(200);
      expect(await ingest(client, { state: 'NY' })).toMatchObject({
        assignedAgentId: null,
        assignedAgent: null,
        unassignedReason: 'no_territory_match',
      });
    });
  });

  it("shows the assigned agent's id and name on leads, in lists, by id and after a change", async () => {
    const { client, ids } = await setup([{ name: 'Asha Verma' }, { name: 'Ben Ortiz' }]);
    const [asha, ben] = ids as [string, string];
    const lead = await ingest(client, { name: 'Named' });
    const owner = lead.assignedAgentId;
    const ownerName = owner === asha ? 'Asha Verma' : 'Ben Ortiz';
    expect(lead.assignedAgent).toEqual({ id: owner, name: ownerName });
    const waiting = await ingest(client, { name: 'Waiting', assign: false });
    expect(waiting).toMatchObject({ assignedAgentId: null, assignedAgent: null });

    expect((await client.get(`/leads/${lead.id}`)).body.data.assignedAgent).toEqual({
      id: owner,
      name: ownerName,
    });
    expect((await client.get(`/leads/${lead.ref}`)).body.data.assignedAgent).toEqual({
      id: owner,
      name: ownerName,
    });
    const items = (await client.get('/leads')).body.data.items;
    expect(items.find((item: any) => item.id === lead.id).assignedAgent).toEqual({
      id: owner,
      name: ownerName,
    });
    expect(items.find((item: any) => item.id === waiting.id).assignedAgent).toBeNull();
    const searched = (await client.get('/leads?q=named')).body.data.items;
    expect(searched[0].assignedAgent).toEqual({ id: owner, name: ownerName });

    const moved = await client.patch(`/leads/${waiting.id}`, { assignedAgentId: ben });
    expect(moved.body.data.assignedAgent).toEqual({ id: ben, name: 'Ben Ortiz' });
    // A renamed agent shows under its new name: the name is read with the lead, not copied onto it.
    await client.patch(`/agents/${ben}`, { name: 'Benjamin Ortiz' });
    expect((await client.get(`/leads/${waiting.id}`)).body.data.assignedAgent.name).toBe('Benjamin Ortiz');
    expect(
      (await client.patch(`/leads/${waiting.id}`, { assignedAgentId: null })).body.data.assignedAgent,
    ).toBeNull();

    const lead200 = (await t.request('/api/openapi.json')).body.paths['/api/crm/leads/{id}'].get;
    expect(JSON.stringify(lead200)).toContain('The assigned agent (null when unassigned)');
  });

  describe('manual score', () => {
    it('PATCH score sets it, logs it, and automatic scoring leaves it until score: null clears it', async () => {
      const { client } = await setup([{ name: 'Scorer' }]);
      await client.put('/scoring', { base: 10, companyPresent: 20, businessEmail: 0 });
      const lead = await ingest(client);
      expect(lead).toMatchObject({ score: 10, scoreManual: false });

      const set = await client.patch(`/leads/${lead.id}`, { score: 87 });
      expect(set.status).toBe(200);
      expect(set.body.data).toMatchObject({ score: 87, scoreManual: true });
      const timeline = (await client.get(`/leads/${lead.id}/activity`)).body.data.items;
      expect(timeline).toContainEqual(
        expect.objectContaining({
          kind: 'field_changed',
          data: { field: 'score', from: 10, to: 87, manual: true },
        }),
      );

      // A change that would rescore (company present: +20) keeps the manual score, as does a duplicate ingest.
      const changed = await client.patch(`/leads/${lead.id}`, { company: 'Big Co' });
      expect(changed.body.data).toMatchObject({ company: 'Big Co', score: 87, scoreManual: true });
      await client.post('/leads', { phone: lead.phone, email: 'x@big.example' });
      expect((await client.get(`/leads/${lead.id}`)).body.data).toMatchObject({
        score: 87,
        scoreManual: true,
      });

      const cleared = await client.patch(`/leads/${lead.id}`, { score: null });
      expect(cleared.body.data).toMatchObject({ score: 30, scoreManual: false });
      const after = (await client.get(`/leads/${lead.id}/activity`)).body.data.items;
      expect(after).toContainEqual(
        expect.objectContaining({ data: { field: 'score', from: 87, to: 30, manual: false } }),
      );
      // Cleared, automatic scoring applies again.
      const tagged = await client.patch(`/leads/${lead.id}`, { company: null });
      expect(tagged.body.data).toMatchObject({ score: 10, scoreManual: false });
      // The same manual value again is a manual score still (set by hand at 10).
      expect((await client.patch(`/leads/${lead.id}`, { score: 10 })).body.data).toMatchObject({
        score: 10,
        scoreManual: true,
      });
    });

    it('refuses a score outside 0–100 or not an integer', async () => {
      const { client } = await setup([]);
      const lead = await ingest(client);
      for (const score of [101, -1, 1.5, '50', true]) {
        const res = await client.patch(`/leads/${lead.id}`, { score });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
    });
  });

  describe('sorting by followUpAt, name and lastActivityAt', () => {
    let client: TenantClient;
    const day = (n: number) => new Date(Date.UTC(2027, 0, n, 9)).toISOString();

    beforeAll(async () => {
      ({ client } = await setup([]));
      const people: [string, string | null][] = [
        ['carol Diaz', day(3)],
        ['Alice Zhang', null],
        ['bob Young', day(1)],
        ['Dave Xu', null],
        ['alice Adams', day(2)],
        ['Eve', day(3)],
      ];
      for (const [name, followUpAt] of people) await ingest(client, { name, followUpAt, assign: false });
    });

    /** Every lead, walked page by page with the cursor (2 a page). */
    async function walk(sort: string, order: string) {
      const names: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const query: string = `/leads?sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await client.get(query);
        expect(res.status).toBe(200);
        names.push(...res.body.data.items.map((lead: any) => lead.name));
        cursor = res.body.data.nextCursor;
        if (!cursor) return names;
      }
      throw new Error('the cursor never ended');
    }
    /** The same sort in one page, and through the search path (a match set sorted in one statement). */
    const onePage = async (sort: string, order: string, q = '') =>
      (await client.get(`/leads?sort=${sort}&order=${order}&limit=200${q}`)).body.data.items.map(
        (lead: any) => lead.name,
      );

    it('by name, first then last name, case-insensitive, ties by id', async () => {
      const asc = ['alice Adams', 'Alice Zhang', 'bob Young', 'carol Diaz', 'Dave Xu', 'Eve'];
      expect(await walk('name', 'asc')).toEqual(asc);
      expect(await walk('name', 'desc')).toEqual([...asc].reverse());
      expect(await onePage('name', 'asc')).toEqual(asc);
    });

    it('by followUpAt, leads without one last in either order, through every page', async () => {
      const asc = await walk('followUpAt', 'asc');
      expect(asc.slice(0, 2)).toEqual(['bob Young', 'alice Adams']);
      expect(new Set(asc.slice(2, 4))).toEqual(new Set(['carol Diaz', 'Eve']));
      expect(new Set(asc.slice(4))).toEqual(new Set(['Alice Zhang', 'Dave Xu']));
      expect(asc).toEqual(await onePage('followUpAt', 'asc'));
      const desc = await walk('followUpAt', 'desc');
      expect(desc.slice(2, 4)).toEqual(['alice Adams', 'bob Young']);
      expect(new Set(desc.slice(4))).toEqual(new Set(['Alice Zhang', 'Dave Xu']));
      expect(desc).toEqual(await onePage('followUpAt', 'desc'));
      // The search path sorts its match set the same way.
      expect(await onePage('followUpAt', 'asc', '&q=alice')).toEqual(['alice Adams', 'Alice Zhang']);
      expect(await onePage('followUpAt', 'desc', '&q=alice')).toEqual(['alice Adams', 'Alice Zhang']);
    });

    it('by lastActivityAt: the lead touched last comes first', async () => {
      const items = (await client.get('/leads?sort=name&order=asc')).body.data.items;
      const byName = new Map(items.map((lead: any) => [lead.name, lead]));
      for (const name of ['bob Young', 'Eve', 'alice Adams']) {
        const lead: any = byName.get(name);
        expect((await client.post(`/leads/${lead.id}/notes`, { body: 'called' })).status).toBe(201);
        expect((await client.patch(`/leads/${lead.id}`, { status: 'contacted' })).status).toBe(200);
      }
      const touched = (await client.get(`/leads/${(byName.get('alice Adams') as any).id}`)).body.data;
      // A change answers with the lead as stored, its newest activity included.
      const patched = (await client.patch(`/leads/${touched.id}`, { city: 'Reno' })).body.data;
      expect(patched.lastActivityAt).not.toBe(touched.lastActivityAt);
      expect((await client.get(`/leads/${touched.id}`)).body.data.lastActivityAt).toBe(
        patched.lastActivityAt,
      );
      expect(new Date(touched.lastActivityAt).getTime()).toBeGreaterThan(
        new Date(touched.createdAt).getTime(),
      );
      const desc = await walk('lastActivityAt', 'desc');
      expect(desc.slice(0, 3)).toEqual(['alice Adams', 'Eve', 'bob Young']);
      expect(desc).toEqual(await onePage('lastActivityAt', 'desc'));
      const asc = await walk('lastActivityAt', 'asc');
      expect(asc.slice(3)).toEqual(['bob Young', 'Eve', 'alice Adams']);
    });

    it('refuses a cursor of another sort, and an unknown sort key', async () => {
      const first = (await client.get('/leads?sort=name&limit=1')).body.data.nextCursor;
      expect((await client.get(`/leads?sort=followUpAt&limit=1&cursor=${first}`)).status).toBe(400);
      expect((await client.get(`/leads?sort=score&limit=1&cursor=${first}`)).status).toBe(400);
      const res = await client.get('/leads?sort=lastName');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    });
  });

  it('stats for one assigned agent, conversion rate as a fraction 0–1 (documented)', async () => {
    const { client, ids } = await setup([{ name: 'Stats A' }, { name: 'Stats B' }]);
    const [a, b] = ids as [string, string];
    const mine = [];
    for (let i = 0; i < 4; i++) mine.push(await ingest(client, { assignedAgentId: a }));
    for (let i = 0; i < 3; i++) await ingest(client, { assignedAgentId: b });
    await ingest(client, { assign: false });
    await client.patch(`/leads/${mine[0].id}`, { status: 'won' });

    const forA = (await client.get(`/leads/stats?assignedAgentId=${a}`)).body.data;
    expect(forA).toMatchObject({ total: 4, won: 1, conversionRate: 0.25 });
    expect(forA.byAgent).toEqual([{ agentId: a, name: 'Stats A', count: 4 }]);
    expect((await client.get(`/leads/stats?assignedAgentId=${b}`)).body.data).toMatchObject({
      total: 3,
      won: 0,
      conversionRate: 0,
    });
    expect((await client.get('/leads/stats?assignedAgentId=unassigned')).body.data.total).toBe(1);
    const all = (await client.get('/leads/stats')).body.data;
    expect(all).toMatchObject({ total: 8, won: 1, conversionRate: 0.125 });
    const bad = await client.get('/leads/stats?assignedAgentId=nobody');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');

    const doc = JSON.stringify((await t.request('/api/openapi.json')).body);
    expect(doc).toContain('A fraction from 0 to 1 (not a percent)');
  });
});
