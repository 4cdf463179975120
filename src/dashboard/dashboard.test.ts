import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestDealPipeline, type TestPipeline } from '../testing/pipelines.js';
import { addTestTeam, addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/**
 * Issue 20 "Dashboard": every KPI (and its previous value) equals the row count, sum or average
 * of the records its drill-down lists through the HTTP API (every cursor page), for the API key
 * and for an agent of own scope, on seeded leads and deals spread over both periods and around
 * their boundaries.
 */

const from = '2026-03-01T00:00:00.000Z';
const to = '2026-03-15T00:00:00.000Z';
const hour = 3_600_000;
const at = (base: string, ms: number) => new Date(new Date(base).getTime() + ms);

interface Drilldown {
  path: string;
  query: Record<string, string>;
}

/** Every record a drill-down lists, page after page. */
async function drill(client: TenantClient, drilldown: Drilldown): Promise<any[]> {
  expect(drilldown.path).toMatch(/^\/api\/crm\//);
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const query: URLSearchParams = new URLSearchParams({
      ...drilldown.query,
      limit: '200',
      ...(cursor ? { cursor } : {}),
    });
    const page: { items: any[]; nextCursor: string | null } = dataOf(
      await client.get(`${drilldown.path.slice('/api/crm'.length)}?${query}`),
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Every KPI object in a dashboard answer (anything with a value and a drill-down). */
function kpisIn(node: unknown, path = '$'): { path: string; kpi: any }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => kpisIn(item, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const found = 'drilldown' in node && 'value' in node ? [{ path, kpi: node as any }] : [];
  return [
    ...found,
    ...Object.entries(node).flatMap(([key, child]) =>
      key === 'drilldown' || key === 'previousDrilldown' ? [] : kpisIn(child, `${path}.${key}`),
    ),
  ];
}

describe('dashboard KPIs equal their drill-downs', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let key: TenantClient;
  let agentClient: TenantClient;
  let db: TenantDb;
  let deals: TestPipeline;
  let leadPipeline: { id: string; stages: string[] };
  const agents = {} as Record<'A' | 'B', string>;
  let phone = 0;
  const nextPhone = () => `+1415777${String(++phone).padStart(4, '0')}`;

  /**
   * Rewrites a record's stage history (append-only for the app: deleted and written again here):
   * entry k entered at start + k × step, each exiting when the next enters; the last stays open.
   */
  async function retime(kind: 'lead' | 'deal', id: string, start: Date, stepMs: number) {
    const entries = await db
      .selectFrom('stage_history')
      .selectAll()
      .where('record_kind', '=', kind)
      .where('record_id', '=', id)
      .orderBy('id')
      .execute();
    const enteredAt = (k: number) => new Date(start.getTime() + k * stepMs);
    await db
      .deleteFrom('stage_history')
      .where('record_kind', '=', kind)
      .where('record_id', '=', id)
      .execute();
    for (const [k, { id: _id, ...entry }] of entries.entries()) {
      await db
        .insertInto('stage_history')
        .values({
          ...entry,
          entered_at: enteredAt(k),
          exited_at: k < entries.length - 1 ? enteredAt(k + 1) : null,
        })
        .execute();
    }
    return enteredAt(entries.length - 1);
  }

  async function seedLeads(client: TenantClient, tdb: TenantDb, count: number, owners: (string | null)[]) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const owner = owners[i % owners.length] ?? undefined;
      const { lead } = dataOf(
        await client.post('/leads', {
          phone: nextPhone(),
          firstName: `Lead ${i}`,
          status: i % 4 === 0 ? 'qualified' : 'new',
          ...(owner ? { assignedAgentId: owner } : {}),
        }),
        201,
      );
      ids.push(lead.id);
      if (i % 4 === 0 && i % 12 !== 8)
        expect((await client.post(`/leads/${lead.id}/convert`, {})).status).toBeLessThan(300);
      // Spread over 45 days from 2026-02-05 (before the previous period to after the current one).
      const created = at('2026-02-05T00:00:00Z', i * 36 * hour + i * 61_000);
      await tdb.updateTable('leads').set({ created_at: created }).where('id', '=', lead.id).execute();
    }
    return ids;
  }

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', RATE_LIMIT_MAX: '1000000' });
    tenant = await t.createTenant();
    key = t.crm(tenant);
    db = (await tenantHandle(t, tenant.tenant.id)).db;
    agents.A = dataOf(await key.post('/agents', { name: 'Agent A', dailyLimit: 500 }), 201).id;
    agents.B = dataOf(await key.post('/agents', { name: 'Agent B', dailyLimit: 500 }), 201).id;
    const agentUser = await addTestUser(t, tenant, { role: 'agent', agentId: agents.A });
    agentClient = tenantClient(t.request, '/api/crm', agentUser.headers);
    deals = await addTestDealPipeline(t, tenant, { isDefault: true, name: 'Main' });
    const lp = dataOf(
      await key.post('/pipelines', {
        kind: 'lead',
        name: 'Lead flow',
        isDefault: true,
        mode: 'free',
        stages: [{ name: 'New' }, { name: 'Working' }, { name: 'Done' }],
      }),
      201,
    );
    leadPipeline = { id: lp.id, stages: lp.stages.map((stage: { id: string }) => stage.id) };

    // Leads: three owners, some converted, some moved through the lead pipeline, one archived,
    // two exactly on the current period's bounds.
    const leadIds = await seedLeads(key, db, 32, [agents.A, agents.B, null]);
    for (const [i, id] of leadIds.entries()) {
      if (i % 2 === 0) dataOf(await key.post(`/leads/${id}/stage`, { stageId: leadPipeline.stages[1] }));
      if (i % 6 === 0) dataOf(await key.post(`/leads/${id}/stage`, { stageId: leadPipeline.stages[2] }));
      if (i % 10 === 0) dataOf(await key.post(`/leads/${id}/stage`, { stageId: leadPipeline.stages[1] }));
      await retime('lead', id, at('2026-02-05T00:00:00Z', i * 36 * hour + i * 61_000), (i + 1) * 5 * hour);
    }
    await db
      .updateTable('leads')
      .set({ created_at: new Date(from) })
      .where('id', '=', leadIds[1]!)
      .execute();
    await db
      .updateTable('leads')
      .set({ created_at: new Date(to) })
      .where('id', '=', leadIds[2]!)
      .execute();
    await db.updateTable('leads').set({ archived_at: new Date() }).where('id', '=', leadIds[16]!).execute();

    // Deals: three owners, two currencies, won (some then closed), lost, half-way and untouched.
    for (let j = 0; j < 28; j++) {
      const owner = [agents.A, agents.B, null][j % 3];
      const deal = dataOf(
        await key.post('/deals', {
          title: `Deal ${j}`,
          amount: 1000 + j * 100,
          currency: j % 2 === 0 ? 'EUR' : 'USD',
          ownerId: owner,
        }),
        201,
      );
      const path =
        j % 4 === 0
          ? ['Qualified', 'Proposal', 'Won']
          : j % 4 === 1
            ? ['Qualified', 'Lost']
            : j % 4 === 2
              ? ['Qualified']
              : [];
      for (const stage of path) {
        const body = {
          stageId: deals.stages[stage],
          ...(stage === 'Won' || stage === 'Lost' ? { reason: 'r' } : {}),
        };
        dataOf(await key.post(`/deals/${deal.id}/stage`, body));
      }
      if (j % 8 === 0) dataOf(await key.post(`/deals/${deal.id}/status`, { status: 'closed' }));
      const start = at('2026-02-08T00:00:00Z', j * 30 * hour + j * 7_000);
      const last = await retime('deal', deal.id, start, (j + 2) * 7 * hour);
      await db
        .updateTable('deals')
        .set({ created_at: start, stage_entered_at: last })
        .where('id', '=', deal.id)
        .execute();
      await db
        .updateTable('deals')
        .set({ closed_at: last })
        .where('id', '=', deal.id)
        .where('closed_at', 'is not', null)
        .execute();
    }

    // Work: tasks of three assignees (A and B in teams), with and without SLA, created, due and
    // completed across both periods; signals opened across both periods, some breached, some resolved.
    const teamOfA = await addTestTeam(t, tenant, 'Team A');
    const teamOfB = await addTestTeam(t, tenant, 'Team B');
    const userOfA = await db
      .selectFrom('users')
      .select('id')
      .where('agent_id', '=', agents.A)
      .executeTakeFirstOrThrow();
    await db.insertInto('team_members').values({ team_id: teamOfA, user_id: userOfA.id }).execute();
    await addTestUser(t, tenant, { role: 'agent', agentId: agents.B, teamIds: [teamOfA, teamOfB] });
    for (let k = 0; k < 40; k++) {
      const task = dataOf(
        await key.post('/tasks', {
          title: `Task ${k}`,
          assigneeId: [agents.A, agents.B, null][k % 3],
          sla: k % 4 === 3 ? null : 'PT8H',
        }),
        201,
      );
      const created = at('2026-02-10T00:00:00Z', k * 23 * hour + k * 13_000);
      const state = k % 5;
      await db
        .updateTable('tasks')
        .set({
          created_at: created,
          due_at: at('2026-02-12T00:00:00Z', k * 19 * hour),
          status: state === 0 ? 'overdue' : state === 1 ? 'completed' : state === 2 ? 'waiting' : 'pending',
          completed_at: state === 1 ? at('2026-02-14T00:00:00Z', k * 21 * hour) : null,
          sla_breached_at: k % 10 === 1 ? at('2026-02-13T00:00:00Z', k * hour) : null,
        })
        .where('id', '=', task.id)
        .execute();
    }
    for (const [n, id] of leadIds.slice(0, 24).entries()) {
      const signal = dataOf(
        await key.post('/signals', { type: 'system', leadId: id, content: `Waiting ${n}` }),
        201,
      );
      const opened = at('2026-02-14T00:00:00Z', n * 31 * hour);
      await db
        .updateTable('signals')
        .set({
          opened_at: opened,
          sla_deadline: n % 3 === 0 ? at('2099-01-01T00:00:00Z', 0) : at(opened.toISOString(), hour),
        })
        .where('id', '=', signal.id)
        .execute();
      if (n % 4 === 1) dataOf(await key.post(`/signals/${signal.id}/resolve`, {}));
    }

    // A second tenant with records in the same periods: never counted in the first.
    const other = await t.createTenant();
    const otherKey = t.crm(other);
    const otherDb = (await tenantHandle(t, other.tenant.id)).db;
    await addTestDealPipeline(t, other, { isDefault: true });
    await seedLeads(otherKey, otherDb, 8, [null]);
    for (let j = 0; j < 4; j++) {
      const deal = dataOf(
        await otherKey.post('/deals', { title: `Other ${j}`, amount: 5, currency: 'EUR' }),
        201,
      );
      const [entry] = await otherDb
        .deleteFrom('stage_history')
        .where('record_id', '=', deal.id)
        .returningAll()
        .execute();
      const { id: _id, ...rest } = entry!;
      await otherDb
        .insertInto('stage_history')
        .values({ ...rest, entered_at: new Date('2026-03-05T00:00:00Z') })
        .execute();
    }
  }, 240_000);
  afterAll(() => t?.close());

  const range = `from=${from}&to=${to}`;
  const dashboards = () => [
    `/dashboard/leads?${range}`,
    `/dashboard/leads?${range}&ownerId=${agents.B}`,
    `/dashboard/leads?${range}&ownerId=unassigned`,
    `/dashboard/funnel?${range}`,
    `/dashboard/funnel?${range}&pipelineId=${leadPipeline.id}`,
    `/dashboard/funnel?${range}&ownerId=${agents.A}`,
    `/dashboard/time-in-stage?${range}`,
    `/dashboard/time-in-stage?${range}&pipelineId=${leadPipeline.id}`,
    `/dashboard/revenue?${range}`,
    `/dashboard/revenue?${range}&pipelineId=${deals.id}&ownerId=${agents.A}`,
    `/dashboard/work?${range}`,
    `/dashboard/work?${range}&ownerId=${agents.B}`,
    `/dashboard/work?${range}&ownerId=unassigned`,
  ];

  /** The seconds a record spent in `stageId` over its entries exited in the drill-down's period. */
  async function secondsInStage(
    client: TenantClient,
    path: string,
    id: string,
    query: Record<string, string>,
  ) {
    const history = dataOf(await client.get(`${path.slice('/api/crm'.length)}/${id}/stages`));
    const lower = new Date(query.exitedFrom!).getTime();
    const upper = new Date(query.exitedBefore!).getTime();
    return (history.entries as any[])
      .filter((entry) => (entry.stageId ?? entry.stage.id) === query.exitedStageId && entry.exitedAt)
      .filter((entry) => {
        const exited = new Date(entry.exitedAt).getTime();
        return exited >= lower && exited < upper;
      })
      .reduce(
        (sum, entry) =>
          sum + (new Date(entry.exitedAt).getTime() - new Date(entry.enteredAt).getTime()) / 1000,
        0,
      );
  }

  /** Asserts one side (value or previous) of a KPI against its drill-down; answers the value. */
  async function checkSide(client: TenantClient, where: string, kpi: any, side: 'value' | 'previous') {
    const drilldown: Drilldown = side === 'value' ? kpi.drilldown : kpi.previousDrilldown;
    const rows = await drill(client, drilldown);
    if ('records' in kpi) {
      expect(rows.length, `${where} records.${side}`).toBe(kpi.records[side]);
      if (rows.length === 0) {
        expect(kpi[side], where).toBeNull();
        return;
      }
      const sums = await Promise.all(
        rows.map((row) => secondsInStage(client, drilldown.path, row.id, drilldown.query)),
      );
      expect(kpi[side], `${where} ${side}`).toBeCloseTo(sums.reduce((a, b) => a + b, 0) / rows.length, 3);
    } else if ('currency' in kpi) {
      for (const row of rows) expect(row.currency).toBe(kpi.currency);
      expect(kpi[side], `${where} ${side}`).toBe(rows.reduce((sum, row) => sum + row.amount, 0));
    } else {
      expect(kpi[side], `${where} ${side}`).toBe(rows.length);
    }
  }

  it.each(['key', 'agent'] as const)(
    'every KPI and previous value equals its drill-down (%s)',
    async (who) => {
      const client = who === 'key' ? key : agentClient;
      let checked = 0;
      let nonZero = 0;
      for (const url of dashboards()) {
        const answer = dataOf(await client.get(url));
        expect(answer.period).toEqual({ from, to });
        expect(answer.previousPeriod).toEqual({ from: '2026-02-15T00:00:00.000Z', to: from });
        for (const { path, kpi } of kpisIn(answer)) {
          expect(kpi.definition.length, path).toBeGreaterThan(20);
          await checkSide(client, `${url} ${path}`, kpi, 'value');
          await checkSide(client, `${url} ${path}`, kpi, 'previous');
          if (kpi.value !== null && kpi.previous !== null) {
            expect(kpi.delta).toBe(kpi.value - kpi.previous);
          }
          checked++;
          if (kpi.value || kpi.previous) nonZero++;
        }
      }
      expect(checked).toBeGreaterThan(30);
      expect(nonZero).toBeGreaterThan(20);
    },
    120_000,
  );

  it('counts what the caller sees: the agent only their own records; ratios are numerator / denominator', async () => {
    const all = dataOf(await key.get(`/dashboard/leads?${range}`));
    const mine = dataOf(await agentClient.get(`/dashboard/leads?${range}`));
    const ofA = dataOf(await key.get(`/dashboard/leads?${range}&ownerId=${agents.A}`));
    expect(mine.newLeads.value).toBe(ofA.newLeads.value);
    expect(mine.newLeads.value).toBeGreaterThan(0);
    expect(mine.newLeads.value).toBeLessThan(all.newLeads.value);
    // The lead created exactly at `from` counts in the current period, the one at `to` in neither.
    const rate = all.conversionRate;
    expect(rate.value).toBe(rate.numerator.value / rate.denominator.value);
    expect(rate.previous).toBe(rate.numerator.previous / rate.denominator.previous);
    expect(rate.numerator.value).toBeGreaterThan(0);
    expect(rate.denominator.drilldown).toEqual({
      path: '/api/crm/leads',
      query: { createdFrom: from, createdBefore: to, archived: 'all' },
    });

    const revenue = dataOf(await agentClient.get(`/dashboard/revenue?${range}`));
    expect(revenue.owners.map((row: any) => row.owner?.id)).toEqual(revenue.owners.map(() => agents.A));
    const funnel = dataOf(await key.get(`/dashboard/funnel?${range}`));
    expect(funnel.pipeline).toMatchObject({ id: deals.id, kind: 'deal' });
    const [first, second] = funnel.stages;
    expect(first.dropOffPercent.value).toBe(
      first.entered.value === 0
        ? null
        : ((first.entered.value - second.entered.value) / first.entered.value) * 100,
    );
    // The lost stage is no stage's next; the last open one (Won) has none.
    const won = funnel.stages.find((stage: any) => stage.stage.outcome === 'won');
    expect(won.dropOffPercent).toEqual({ value: null, previous: null });
  });

  it('counts work: open and overdue tasks, SLA met % per assignee and team, pending and breached signals', async () => {
    const work = dataOf(await key.get(`/dashboard/work?${range}`));
    for (const name of ['openTasks', 'overdueTasks', 'pendingSignals', 'breachedSignals']) {
      expect(work[name].value + work[name].previous, name).toBeGreaterThan(0);
    }
    expect(work.breachedSignals.value).toBeLessThan(work.pendingSignals.value);
    const { overall, byAssignee, byTeam } = work.slaMet;
    expect(overall.denominator.value).toBeGreaterThan(overall.numerator.value);
    expect(overall.numerator.value).toBeGreaterThan(0);
    expect(overall.value).toBe(overall.numerator.value / overall.denominator.value);
    expect(byAssignee.map((row: any) => row.assignee?.name ?? null)).toEqual(['Agent A', 'Agent B', null]);
    expect(byAssignee.reduce((sum: number, row: any) => sum + row.denominator.value, 0)).toBe(
      overall.denominator.value,
    );
    // B is in both teams, A in Team A only: Team A counts both, Team B only B's.
    expect(byTeam.map((row: any) => row.team.name)).toEqual(['Team A', 'Team B']);
    const [teamA, teamB] = byTeam;
    const [ofA, ofB] = byAssignee;
    expect(teamA.denominator.value).toBe(ofA.denominator.value + ofB.denominator.value);
    expect(teamB.denominator.value).toBe(ofB.denominator.value);
    expect(teamB.numerator.drilldown.query).toMatchObject({ teamId: teamB.team.id, slaMet: 'true' });
    const mine = dataOf(await agentClient.get(`/dashboard/work?${range}`));
    expect(mine.slaMet.byAssignee.map((row: any) => row.assignee?.id)).toEqual([agents.A]);
    expect(mine.openTasks.value).toBe(
      dataOf(await key.get(`/dashboard/work?${range}&ownerId=${agents.A}`)).openTasks.value,
    );
  });

  it('answers relative periods in the tenant timezone, previous of the same length', async () => {
    const answer = dataOf(await key.get('/dashboard/leads?period=last_month'));
    const { period, previousPeriod } = answer;
    const length = new Date(period.to).getTime() - new Date(period.from).getTime();
    expect(length).toBeGreaterThanOrEqual(28 * 24 * hour - hour);
    expect(new Date(previousPeriod.to).getTime()).toBe(new Date(period.from).getTime());
    expect(new Date(period.from).getTime() - new Date(previousPeriod.from).getTime()).toBe(length);
    const defaulted = dataOf(await key.get('/dashboard/revenue'));
    const span = new Date(defaulted.period.to).getTime() - new Date(defaulted.period.from).getTime();
    expect(span).toBe(30 * 24 * hour);
  });

  it.each([
    ['from without to', `/dashboard/leads?from=${from}`],
    ['to before from', `/dashboard/leads?from=${to}&to=${from}`],
    ['both styles', `/dashboard/leads?period=7d&${range}`],
    ['an unknown period', '/dashboard/leads?period=yesterday'],
    ['a date without time', '/dashboard/leads?from=2026-03-01&to=2026-03-02'],
    ['too long', '/dashboard/leads?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
    ['an unknown parameter', `/dashboard/leads?${range}&teamId=x`],
    ['a bad owner', `/dashboard/revenue?${range}&ownerId=someone`],
  ])('refuses %s (400)', async (_what, url) => {
    const res = await key.get(url);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('404s an unknown pipeline and 400s when there is no default deal pipeline', async () => {
    expect((await key.get(`/dashboard/funnel?pipelineId=${crypto.randomUUID()}`)).status).toBe(404);
    const bare = await t.createTenant();
    const res = await t.crm(bare).get('/dashboard/time-in-stage');
    expect(res.status, res.text).toBe(400);
  });

  it('keeps each list filter exact at the bounds (createdBefore excludes, enteredFrom includes)', async () => {
    const atFrom = await drill(key, {
      path: '/api/crm/leads',
      query: { createdFrom: from, createdBefore: from, archived: 'all' },
    });
    expect(atFrom).toEqual([]);
    const first = await drill(key, {
      path: '/api/crm/leads',
      query: { createdFrom: from, createdBefore: at(from, 1).toISOString(), archived: 'all' },
    });
    expect(first).toHaveLength(1);
    const row = await db
      .selectFrom('stage_history')
      .select(sql<number>`count(distinct record_id)`.as('n'))
      .where('record_kind', '=', 'deal')
      .where('stage_id', '=', deals.stages.Qualified!)
      .where('entered_at', '>=', new Date(from))
      .where('entered_at', '<', new Date(to))
      .executeTakeFirstOrThrow();
    const listed = await drill(key, {
      path: '/api/crm/deals',
      query: { enteredStageId: deals.stages.Qualified!, enteredFrom: from, enteredBefore: to },
    });
    expect(listed).toHaveLength(Number(row.n));
    expect(listed.length).toBeGreaterThan(0);
  });
});
