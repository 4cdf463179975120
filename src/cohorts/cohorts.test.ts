import { randomUUID } from 'node:crypto';
import { Access } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '../testing/tenant-client.js';
import { jobContext, tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { distributeLead, runCohortAssignment } from './assign-cohort.job.js';
import { startAssignmentRun } from './cohort-assignment.repository.js';
import { loadScoringSettings } from '../scoring/index.js';

/**
 * Cohorts and their distributions without a worker: the routes, their validation, and the
 * `cohorts.assign` handler run directly (crash and resume, overlapping runs, per-lead outcomes).
 */
describe('cohorts', () => {
  let t: TestApp;

  /** `count` leads tagged `tag`, imported without assignment; answers their ids in reference order. */
  const importLeads = async (tenant: TestTenant, tag: string, count: number, from = 0) => {
    const lines = ['Name,Mobile,Tags'];
    for (let i = from; i < from + count; i++) lines.push(`Lead ${i},98${String(i).padStart(8, '0')},${tag}`);
    const res = await t.request('/api/crm/leads/import?mode=sync&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: lines.join('\n') + '\n',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.created).toBe(count);
    const page = dataOf(await t.crm(tenant).get(`/leads?tags=${tag}&sort=ref&order=asc&limit=200`));
    return (page.items as { id: string }[]).map((lead) => lead.id);
  };
  const addAgent = async (tenant: TestTenant, body: Record<string, unknown>) =>
    dataOf(await t.crm(tenant).post('/agents', body), 201).id as string;
  const addCohort = async (tenant: TestTenant, body: Record<string, unknown>) =>
    dataOf(await t.crm(tenant).post('/cohorts', body), 201).id as string;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('are saved leads-list filters: create, list, show, update, delete', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const crm = t.crm(tenant);
    const created = await crm.post('/cohorts', {
      name: 'Hot Pune leads',
      description: 'For the weekend push',
      filter: { city: ['Pune'], hot: true, status: ['new', 'contacted'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      name: 'Hot Pune leads',
      description: 'For the weekend push',
      filter: { city: ['Pune'], hot: true, status: ['new', 'contacted'] },
    });
    const id = created.body.data.id as string;
    const second = await addCohort(tenant, { name: 'Everyone' });

    const list = dataOf(await crm.get('/cohorts?limit=1'));
    expect(list.items.map((cohort: { id: string }) => cohort.id)).toEqual([second]);
    const rest = dataOf(await crm.get(`/cohorts?limit=1&cursor=${list.nextCursor}`));
    expect(rest).toMatchObject({ items: [{ id }], nextCursor: null });
    expect(dataOf(await crm.get(`/cohorts/${id}`)).name).toBe('Hot Pune leads');

    const patched = await crm.patch(`/cohorts/${id}`, { name: 'Pune', filter: { city: 'Pune' } });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ name: 'Pune', filter: { city: 'Pune' } });
    expect(patched.body.data.description).toBe('For the weekend push');

    expect((await crm.delete(`/cohorts/${id}`)).status).toBe(200);
    expect((await crm.get(`/cohorts/${id}`)).status).toBe(404);
    expect((await crm.delete(`/cohorts/${id}`)).status).toBe(404);
    expect((await crm.patch(`/cohorts/${id}`, { name: 'x' })).status).toBe(404);

    const openapi = await t.request('/api/openapi.json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/crm/cohorts',
        '/api/crm/cohorts/{id}',
        '/api/crm/cohorts/{id}/leads',
        '/api/crm/cohorts/{id}/assignments',
        '/api/crm/cohorts/assignments/{jobId}',
        '/api/crm/cohorts/assignments/{jobId}/leads',
      ]),
    );
  });

  it('validate the filter with the leads list schema and refuse unknown fields', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const crm = t.crm(tenant);
    const refused = async (
      body: unknown,
      path: RegExp,
      method: 'POST' | 'PATCH' = 'POST',
      url = '/cohorts',
    ) => {
      const res = await crm.send(method, url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((issue: { path: string }) => issue.path).join(' ')).toMatch(path);
      return res;
    };
    const unknown = await refused({ name: 'x', filter: { colour: 'red' } }, /^body\.filter/);
    expect(JSON.stringify(unknown.body.error.details)).toContain('colour');
    // The list's own name for search is q; its paging belongs to GET /cohorts/:id/leads.
    await refused({ name: 'x', filter: { search: 'asha' } }, /^body\.filter/);
    await refused({ name: 'x', filter: { limit: 10 } }, /^body\.filter/);
    await refused({ name: 'x', filter: { status: ['nope'] } }, /^body\.filter\.status/);
    await refused({ name: 'x', filter: { scoreMin: 101 } }, /^body\.filter\.scoreMin/);
    await refused({ name: 'x', filter: { agentId: 'someone' } }, /^body\.filter\.agentId/);
    await refused({ name: 'x', filter: { createdFrom: 'yesterday' } }, /^body\.filter\.createdFrom/);
    await refused({ name: 'x', colour: 'red' }, /^body/);
    await refused({ name: '' }, /^body\.name/);
    await refused({ filter: {} }, /^body\.name/);
    const id = await addCohort(tenant, { name: 'Valid', filter: { tags: 'vip', tagsMode: 'all' } });
    await refused({ filter: { tags: [] } }, /^body\.filter\.tags/, 'PATCH', `/cohorts/${id}`);
    await refused({}, /^body/, 'PATCH', `/cohorts/${id}`);
    await refused({ name: 'x' }, /^params\.id/, 'PATCH', '/cohorts/not-a-uuid');
    expect((await crm.get('/cohorts?cursor=garbage')).status).toBe(400);

    const taken = await crm.post('/cohorts', { name: 'VALID' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('conflict');
  });

  it('list their leads as the leads list does with their filter, paged the same way', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const vip = await importLeads(tenant, 'vip', 5);
    await importLeads(tenant, 'cold', 3, 100);
    const id = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });

    const first = dataOf(await t.crm(tenant).get(`/cohorts/${id}/leads?sort=ref&order=asc&limit=2`));
    expect(first).toMatchObject({ total: 5, totalCapped: false, limit: 2 });
    const second = dataOf(
      await t.crm(tenant).get(`/cohorts/${id}/leads?sort=ref&order=asc&limit=10&cursor=${first.nextCursor}`),
    );
    expect([...first.items, ...second.items].map((lead: { id: string }) => lead.id)).toEqual(vip);
    expect(second.nextCursor).toBeNull();
    // A filter parameter here is refused: the cohort's own filter applies.
    expect((await t.crm(tenant).get(`/cohorts/${id}/leads?status=new`)).status).toBe(400);
    expect((await t.crm(tenant).get(`/cohorts/${randomUUID()}/leads`)).status).toBe(404);
  });

  it('refuse a distribution they cannot run, naming the field', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const crm = t.crm(tenant);
    const cohort = await addCohort(tenant, { name: 'All' });
    const limited = await addAgent(tenant, { name: 'Limited', dailyLimit: 5 });
    const unlimited = await addAgent(tenant, { name: 'Unlimited', weight: 3 });
    const inactive = await addAgent(tenant, { name: 'Gone', dailyLimit: 5, active: false });
    const start = (body: unknown, id = cohort) => crm.post(`/cohorts/${id}/assignments`, body);
    const path = (res: { body: any }) =>
      res.body.error.details.map((issue: { path: string }) => issue.path).join(' ');

    const unknownAgent = await start({ agentIds: [randomUUID()] });
    expect([unknownAgent.status, path(unknownAgent)]).toEqual([400, 'body.agentIds']);
    const notActive = await start({ agentIds: [limited, inactive] });
    expect([notActive.status, path(notActive)]).toEqual([400, 'body.agentIds.1']);
    const noLimit = await start({ agentIds: [limited, unlimited], capacity: 'dailyLimit' });
    expect([noLimit.status, path(noLimit)]).toEqual([400, 'body.capacity']);
    expect((await start({ agentIds: [] })).status).toBe(400);
    expect((await start({ agentIds: [limited], everyone: true })).status).toBe(400);
    expect((await start({ agentIds: [limited], limit: 0 })).status).toBe(400);
    expect((await start({ agentIds: [limited] }, randomUUID())).status).toBe(404);
    const ofAgent = await addCohort(tenant, { name: 'Of Limited', filter: { agentId: limited } });
    const none = await start({ agentIds: [unlimited] }, ofAgent);
    expect([none.status, path(none)]).toEqual([400, 'body.onlyUnassigned']);

    // With an agent without a daily limit the shares go by weight.
    const byWeight = await start({ agentIds: [limited, unlimited, limited] });
    expect(byWeight.status).toBe(202);
    expect(byWeight.body.data).toMatchObject({
      ref: 'CAJ-1',
      status: 'queued',
      capacity: 'weight',
      onlyUnassigned: true,
      agents: [
        { agentId: limited, name: 'Limited', capacity: 1, share: 0.25 },
        { agentId: unlimited, name: 'Unlimited', capacity: 3, share: 0.75 },
      ],
    });
    // One distribution of a cohort at a time.
    const busy = await start({ agentIds: [limited] });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: 'conflict', details: { ref: 'CAJ-1' } });
    const other = await start({ agentIds: [limited] }, await addCohort(tenant, { name: 'B' }));
    expect(other.body.data).toMatchObject({ ref: 'CAJ-2', capacity: 'dailyLimit' });
    // Human ids are per tenant.
    const globex = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const theirAgent = await addAgent(globex, { name: 'Theirs', dailyLimit: 2 });
    const theirs = await t
      .crm(globex)
      .post(`/cohorts/${await addCohort(globex, { name: 'All' })}/assignments`, { agentIds: [theirAgent] });
    expect(theirs.body.data.ref).toBe('CAJ-1');

    expect(dataOf(await crm.get('/cohorts/assignments/CAJ-2')).id).toBe(other.body.data.id);
    expect(dataOf(await crm.get(`/cohorts/assignments/${byWeight.body.data.id}`)).ref).toBe('CAJ-1');
    expect((await crm.get('/cohorts/assignments/CAJ-99')).status).toBe(404);
    expect((await crm.get('/cohorts/assignments/nope')).status).toBe(400);
    const listed = dataOf(await crm.get(`/cohorts/${cohort}/assignments`));
    expect(listed.items.map((job: { ref: string }) => job.ref)).toEqual(['CAJ-1']);
  });

  it('resume after a crash without handling a lead twice, and overlapping runs share the work', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const leads = await importLeads(tenant, 'vip', 12);
    const a = await addAgent(tenant, { name: 'A', dailyLimit: 20 });
    const b = await addAgent(tenant, { name: 'B', dailyLimit: 10 });
    const cohort = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });
    const started = dataOf(
      await t.crm(tenant).post(`/cohorts/${cohort}/assignments`, { agentIds: [a, b] }),
      202,
    );

    // The first run is killed after its fifth lead is given.
    const controller = new AbortController();
    let given = 0;
    const unsubscribe = t.app.services.leadEvents.subscribe((event) => {
      if (event.name === 'lead.assigned' && event.tenantId === tenant.tenant.id && ++given === 5)
        controller.abort(new Error('worker killed'));
    });
    const payload = { assignmentId: started.id as string };
    const first = await jobContext(t, tenant.tenant.id, 'cohorts.assign', payload, {
      signal: controller.signal,
    });
    await expect(runCohortAssignment(first)).rejects.toThrow('worker killed');
    unsubscribe();
    const halfway = dataOf(await t.crm(tenant).get(`/cohorts/assignments/${started.ref}`));
    expect(halfway.status).toBe('running');
    expect(halfway.processed).toBeGreaterThanOrEqual(5);
    expect(halfway.processed).toBeLessThan(12);

    // The retry and a stale overlapping run finish it together.
    const retry = await jobContext(t, tenant.tenant.id, 'cohorts.assign', payload, { attempt: 2 });
    const stale = await jobContext(t, tenant.tenant.id, 'cohorts.assign', payload, { attempt: 2 });
    await Promise.all([runCohortAssignment(retry), runCohortAssignment(stale)]);

    const done = dataOf(await t.crm(tenant).get(`/cohorts/assignments/${started.ref}`));
    expect(done).toMatchObject({ status: 'completed', processed: 12, assigned: 12, failed: 0, skipped: 0 });
    expect(done.report.byAgent).toEqual([
      { agentId: a, name: 'A', assigned: 8 },
      { agentId: b, name: 'B', assigned: 4 },
    ]);
    const outcomes = dataOf(await t.crm(tenant).get(`/cohorts/assignments/${started.ref}/leads?limit=200`));
    expect(outcomes.items.map((item: { position: number }) => item.position)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(new Set(outcomes.items.map((item: { leadId: string }) => item.leadId))).toEqual(new Set(leads));

    // Each lead was assigned once: one activity entry each, and the agents' days count 12.
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const entries = await db
      .selectFrom('lead_activities')
      .select(['lead_id', 'data'])
      .where('lead_id', 'in', leads)
      .where('kind', '=', 'field_changed')
      .execute();
    const assignments = entries.filter(
      (entry) => (entry.data as { field?: string }).field === 'assignedAgentId',
    );
    expect(assignments).toHaveLength(12);
    expect(new Set(assignments.map((entry) => entry.lead_id)).size).toBe(12);
    const agents = dataOf(await t.crm(tenant).get('/agents')).items as {
      id: string;
      assignedToday: number;
    }[];
    expect(Object.fromEntries(agents.map((agent) => [agent.id, agent.assignedToday]))).toEqual({
      [a]: 8,
      [b]: 4,
    });
  });

  it('report a lead deleted or taken meanwhile as its own outcome', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const [free, taken, extra] = await importLeads(tenant, 'vip', 3);
    const a = await addAgent(tenant, { name: 'A', dailyLimit: 5 });
    const b = await addAgent(tenant, { name: 'B', dailyLimit: 5, available: false });
    const cohort = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });
    const started = dataOf(
      await t.crm(tenant).post(`/cohorts/${cohort}/assignments`, { agentIds: [b] }),
      202,
    );
    expect((await t.crm(tenant).patch(`/leads/${taken}`, { assignedAgentId: a })).status).toBe(200);

    const ctx = await jobContext(t, tenant.tenant.id, 'cohorts.assign', { assignmentId: started.id });
    await startAssignmentRun(ctx.handle.db, started.id);
    const leadCtx = {
      handle: ctx.handle,
      actor: systemActor('test'),
      access: Access.tenantWide(),
      events: t.app.services.leadEvents,
    };
    const plan = {
      assignmentId: started.id as string,
      onlyUnassigned: true,
      rotation: [b],
      agentCount: 1,
      scoring: await loadScoringSettings(ctx.handle),
    };
    expect(await distributeLead(leadCtx, plan, { id: randomUUID(), number: 999_999 })).toMatchObject({
      outcome: 'failed',
      reason: 'lead_not_found',
    });
    expect(await distributeLead(leadCtx, plan, { id: taken!, number: 100_002 })).toMatchObject({
      outcome: 'skipped',
      reason: 'already_assigned',
      agentId: a,
    });
    // An agent who is not available still gets leads from a distribution (as from PATCH).
    expect(await distributeLead(leadCtx, plan, { id: free!, number: 100_001 })).toMatchObject({
      outcome: 'assigned',
      agentId: b,
    });
    // Handled once: a second call leaves it.
    expect(await distributeLead(leadCtx, plan, { id: free!, number: 100_001 })).toBeUndefined();
    expect((await t.crm(tenant).patch(`/agents/${b}`, { active: false })).status).toBe(200);
    expect(await distributeLead(leadCtx, plan, { id: extra!, number: 100_003 })).toMatchObject({
      outcome: 'failed',
      reason: 'agent_inactive',
    });

    const detail = dataOf(await t.crm(tenant).get(`/cohorts/assignments/${started.ref}`));
    expect(detail).toMatchObject({ processed: 4, assigned: 1, skipped: 1, failed: 2 });
    expect(detail.report).toEqual({
      byAgent: [{ agentId: b, name: 'B', assigned: 1 }],
      skippedByReason: { already_assigned: 1 },
      failedByReason: { lead_not_found: 1, agent_inactive: 1 },
    });
    const failed = dataOf(
      await t.crm(tenant).get(`/cohorts/assignments/${started.ref}/leads?outcome=failed`),
    );
    expect(failed.items).toMatchObject([
      { position: 1, outcome: 'failed', reason: 'lead_not_found', leadRef: 'LD-999999' },
      { position: 4, outcome: 'failed', reason: 'agent_inactive', leadId: extra },
    ]);
  });
});
