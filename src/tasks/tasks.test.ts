import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addBusinessTime, type WorkingCalendar } from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

const allDay: [string, string][] = [['00:00', '24:00']];
const alwaysOpen = {
  timezone: 'UTC',
  intervals: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
  holidays: [],
};
const ms = (value: string) => new Date(value).getTime();

describe('tasks with business-time SLAs', () => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  let key: TenantClient;
  let db: TenantDb;
  let agents: { A: string; B: string };
  let asAgentA: TenantClient;
  let phone = 0;
  const nextPhone = () => `+1415777${String(++phone).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000', JOB_POLL_MS: '100' });
    acme = await t.createTenant();
    other = await t.createTenant();
    key = t.crm(acme);
    db = (await tenantHandle(t, acme.tenant.id)).db;
    agents = {
      A: dataOf(await key.post('/agents', { name: 'Agent A' }), 201).id,
      B: dataOf(await key.post('/agents', { name: 'Agent B' }), 201).id,
    };
    const user = await addTestUser(t, acme, { role: 'agent', agentId: agents.A });
    asAgentA = tenantClient(t.request, '/api/crm', user.headers);
    dataOf(await key.put('/calendars/default', alwaysOpen));
  }, 120_000);
  afterAll(() => t?.close());

  const newLead = async (body: Record<string, unknown> = {}) =>
    dataOf(await key.post('/leads', { name: 'Task lead', phone: nextPhone(), assign: false, ...body }), 201)
      .lead;
  const newTask = async (body: Record<string, unknown>, client = key) =>
    dataOf(await client.post('/tasks', { title: 'Call back', ...body }), 201);

  it('creates a task on a lead for its owner, with the SLA given, readable by T-n', async () => {
    const lead = await newLead({ assignedAgentId: agents.A });
    const task = await newTask({ leadId: lead.id, type: 'call', priority: 'high', sla: 'PT2H' });
    expect(task).toMatchObject({
      ref: expect.stringMatching(/^T-\d+$/),
      type: 'call',
      priority: 'high',
      status: 'pending',
      record: { kind: 'lead', id: lead.id },
      assigneeId: agents.A,
      assignee: { id: agents.A, name: 'Agent A' },
      sla: {
        policyId: null,
        duration: 'PT2H',
        atRiskPercent: 20,
        pauseStatuses: ['waiting'],
        calendarId: expect.any(String),
      },
      slaStatus: 'on_track',
      slaPaused: false,
      createdBy: { type: 'api_key' },
    });
    const calendar = alwaysOpen as WorkingCalendar;
    const start = new Date(task.slaStartedAt);
    expect(ms(task.slaDeadline)).toBe(addBusinessTime(calendar, start, 7_200_000).getTime());
    expect(ms(task.slaAtRiskAt)).toBe(addBusinessTime(calendar, start, 0.8 * 7_200_000).getTime());
    expect(dataOf(await key.get(`/tasks/${task.ref}`)).id).toBe(task.id);
    // Its wake-ups are queued at the at-risk instant and the deadline.
    const wakes = await t.app.services.platform
      .selectFrom('jobs')
      .select(['run_at', 'payload'])
      .where('tenant_id', '=', acme.tenant.id)
      .where('kind', '=', 'tasks.wake')
      .execute();
    const mine = wakes.filter((job) => (job.payload as { taskId: string }).taskId === task.id);
    expect(mine.map((job) => new Date(job.run_at).getTime()).sort()).toEqual([
      ms(task.slaAtRiskAt),
      ms(task.slaDeadline),
    ]);
  });

  it('turns at risk then breached at the instant by its queued wake-ups, firing sla_at_risk and sla_breached', async () => {
    const lead = await newLead({ assignedAgentId: agents.B });
    for (const [trigger, tag] of [
      ['sla_at_risk', 'sla-at-risk'],
      ['sla_breached', 'sla-breached'],
    ]) {
      const rule = await t.automations(acme).post('/rules', {
        name: `Tag ${trigger}`,
        trigger,
        actions: [{ type: 'add_tag', tag }],
      });
      expect(rule.status, rule.text).toBe(201);
    }
    const emitted = vi.spyOn(t.app.services.realtime, 'emitForLead');
    const task = await newTask({ leadId: lead.id, sla: 'PT3S' });
    await expect
      .poll(async () => dataOf(await key.get(`/tasks/${task.id}`)).slaStatus, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('breached');
    const breached = dataOf(await key.get(`/tasks/${task.id}`));
    expect(breached).toMatchObject({
      slaBreachedAt: task.slaDeadline,
      slaDeadline: task.slaDeadline,
      slaRemainingMs: 0,
    });
    expect(breached.slaBreachMs).toBeGreaterThanOrEqual(0);
    const events = emitted.mock.calls.filter(([, , , payload]) => (payload as any)?.task?.id === task.id);
    expect(events.map(([tenantId, agentId, event]) => [tenantId, agentId, event])).toEqual([
      [acme.tenant.id, agents.B, 'task.created'],
      [acme.tenant.id, agents.B, 'task.at_risk'],
      [acme.tenant.id, agents.B, 'task.breached'],
    ]);
    emitted.mockRestore();
    expect(dataOf(await key.get(`/leads/${lead.id}`)).tags).toEqual(
      expect.arrayContaining(['sla-at-risk', 'sla-breached']),
    );
    const fired = await db
      .selectFrom('automation_events')
      .select(['trigger', 'event_key', 'lead_id'])
      .where('trigger', 'in', ['sla_at_risk', 'sla_breached'])
      .execute();
    expect(fired).toHaveLength(2);
    expect(fired.every((e) => e.lead_id === lead.id && e.event_key?.includes(task.id))).toBe(true);
    for (const rule of dataOf(await t.automations(acme).get('/rules')).items) {
      await t.automations(acme).delete(`/rules/${rule.id}`);
    }
  });

  it('stops the clock while waiting on the customer and resumes with the time left', async () => {
    const task = await newTask({ sla: 'PT2H', assigneeId: agents.A });
    const paused = dataOf(await key.patch(`/tasks/${task.id}`, { status: 'waiting' }));
    expect(paused).toMatchObject({
      status: 'waiting',
      slaPaused: true,
      slaDeadline: null,
      slaAtRiskAt: null,
    });
    const ran = ms(paused.updatedAt) - ms(task.slaStartedAt);
    expect(paused.slaRemainingMs).toBe(7_200_000 - ran);
    const resumed = dataOf(await key.patch(`/tasks/${task.id}`, { status: 'in_progress' }));
    expect(resumed.slaPaused).toBe(false);
    expect(ms(resumed.slaDeadline)).toBe(ms(resumed.updatedAt) + 7_200_000 - ran);
    // A new SLA keeps the time run so far.
    const longer = dataOf(await key.patch(`/tasks/${task.id}`, { sla: 'PT3H' }));
    expect(longer.sla.duration).toBe('PT3H');
    expect(ms(longer.slaDeadline)).toBe(ms(resumed.slaDeadline) + 3_600_000);
    const none = dataOf(await key.patch(`/tasks/${task.id}`, { sla: null }));
    expect(none).toMatchObject({
      sla: null,
      slaStatus: 'not_applicable',
      slaDeadline: null,
      slaRemainingMs: null,
    });
  });

  it('completes with a note on the lead or deal; a closed task refuses changes (409)', async () => {
    const lead = await newLead({ assignedAgentId: agents.A });
    const task = await newTask({ leadId: lead.id, sla: 'PT8H' });
    const done = dataOf(
      await key.post(`/tasks/${task.ref}/complete`, { note: 'Spoke to them, call Friday' }),
    );
    expect(done).toMatchObject({
      status: 'completed',
      slaStatus: 'completed',
      slaBreachedAt: null,
      slaBreachMs: null,
      completedBy: { type: 'api_key' },
      completionNote: 'Spoke to them, call Friday',
    });
    const notes = dataOf(await key.get(`/leads/${lead.id}/notes`)).items;
    expect(notes.map((n: { body: string }) => n.body)).toContain('Spoke to them, call Friday');
    const again = await key.patch(`/tasks/${task.id}`, { title: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_status_transition');
    expect((await key.post(`/tasks/${task.id}/complete`, {})).status).toBe(409);

    const pipelineId = dataOf(
      await key.post('/pipelines', {
        name: 'Deals',
        kind: 'deal',
        isDefault: true,
        stages: [{ name: 'Open' }],
      }),
      201,
    ).id;
    const deal = dataOf(
      await key.post('/deals', { title: 'D', amount: 5, currency: 'EUR', pipelineId }),
      201,
    );
    const dealTask = await newTask({ dealId: deal.ref, assigneeId: null });
    expect(dealTask.record).toEqual({ kind: 'deal', id: deal.id });
    dataOf(await key.post(`/tasks/${dealTask.id}/complete`, { note: 'Deal note' }));
    expect(dataOf(await key.get(`/deals/${deal.id}/notes`)).items[0].body).toBe('Deal note');
    const cancelled = dataOf(
      await key.patch(`/tasks/${(await newTask({ sla: 'PT1H' })).id}`, { status: 'cancelled' }),
    );
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      slaStatus: 'not_applicable',
      cancelledAt: expect.any(String),
    });
  });

  it('applies the most specific SLA policy of the task type and priority; policies need settings.manage', async () => {
    const any = dataOf(await key.post('/sla-policies', { name: 'Any', duration: 'PT8H' }), 201);
    const calls = dataOf(
      await key.post('/sla-policies', {
        name: 'Calls',
        taskType: 'call',
        duration: 'PT4H',
        atRiskPercent: 25,
      }),
      201,
    );
    const urgentCalls = dataOf(
      await key.post('/sla-policies', {
        name: 'Urgent calls',
        taskType: 'call',
        priority: 'urgent',
        duration: 'PT30M',
        pauseStatuses: [],
      }),
      201,
    );
    expect(urgentCalls).toMatchObject({
      duration: 'PT30M',
      atRiskPercent: 20,
      pauseStatuses: [],
      calendarId: null,
    });
    const dup = await key.post('/sla-policies', { name: 'Again', taskType: 'call', duration: 'PT1H' });
    expect(dup.status).toBe(409);
    expect((await asAgentA.post('/sla-policies', { name: 'No', duration: 'PT1H' })).status).toBe(403);

    const urgent = await newTask({ type: 'call', priority: 'urgent' });
    expect(urgent.sla).toMatchObject({ policyId: urgentCalls.id, duration: 'PT30M', pauseStatuses: [] });
    expect((await newTask({ type: 'call', priority: 'low' })).sla).toMatchObject({
      policyId: calls.id,
      atRiskPercent: 25,
    });
    expect((await newTask({ type: 'other' })).sla.policyId).toBe(any.id);
    expect((await newTask({ type: 'other', sla: null })).sla).toBeNull();
    expect((await newTask({ type: 'other', slaPolicyId: calls.id })).sla.policyId).toBe(calls.id);
    // A changed policy does not move the tasks that have it.
    dataOf(await key.put(`/sla-policies/${calls.id}`, { name: 'Calls', taskType: 'call', duration: 'PT1H' }));
    expect(dataOf(await key.get(`/tasks/${urgent.id}`)).sla.duration).toBe('PT30M');
    for (const policy of [any, calls, urgentCalls]) dataOf(await key.delete(`/sla-policies/${policy.id}`));
    expect(dataOf(await key.get('/sla-policies')).items).toEqual([]);
  });

  it('turns overdue when its due time passes, and back to pending when the due time moves later', async () => {
    const soon = await newTask({ dueAt: new Date(Date.now() + 1500).toISOString(), assigneeId: agents.A });
    expect(soon.status).toBe('pending');
    await expect
      .poll(async () => dataOf(await key.get(`/tasks/${soon.id}`)).status, { timeout: 30_000, interval: 100 })
      .toBe('overdue');
    const later = dataOf(
      await key.patch(`/tasks/${soon.id}`, { dueAt: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    expect(later.status).toBe('pending');
    const past = await newTask({ dueAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe('overdue');
  });

  it('lists with filters and cursor pages, each task visible to those who see its assignee', async () => {
    const lead = await newLead({ assignedAgentId: agents.A });
    const mine = [
      await newTask({ leadId: lead.id, priority: 'urgent' }, asAgentA),
      await newTask({ leadId: lead.id, priority: 'low' }, asAgentA),
      await newTask({ leadId: lead.id, priority: 'low', status: 'in_progress' }, asAgentA),
    ];
    expect(mine.every((task) => task.assigneeId === agents.A)).toBe(true);
    const theirs = await newTask({ assigneeId: agents.B, priority: 'low' });
    const byLead = dataOf(await key.get(`/tasks?leadId=${lead.id}&limit=2&sort=createdAt&order=asc`));
    expect(byLead.total).toBe(3);
    const next = dataOf(
      await key.get(`/tasks?leadId=${lead.id}&limit=2&sort=createdAt&order=asc&cursor=${byLead.nextCursor}`),
    );
    expect([...byLead.items, ...next.items].map((task: { id: string }) => task.id)).toEqual(
      mine.map((task) => task.id),
    );
    expect(
      dataOf(await key.get(`/tasks?leadId=${lead.id}&priority=low&status=pending,in_progress`)).total,
    ).toBe(2);
    const agentView = dataOf(await asAgentA.get('/tasks?limit=200')).items.map(
      (task: { id: string }) => task.id,
    );
    expect(agentView).toEqual(expect.arrayContaining(mine.map((task) => task.id)));
    expect(agentView).not.toContain(theirs.id);
    expect((await asAgentA.get(`/tasks/${theirs.id}`)).status).toBe(404);
    expect((await asAgentA.patch(`/tasks/${theirs.id}`, { title: 'x' })).status).toBe(404);
    // An agent without leads.assign gives tasks to nobody else.
    const handOff = await asAgentA.post('/tasks', { title: 'For B', assigneeId: agents.B });
    expect(handOff.status).toBe(403);
    expect((await t.crm(other).get(`/tasks/${mine[0].id}`)).status).toBe(404);
    const withSla = dataOf(await key.get('/tasks?hasSla=true&limit=200')).items;
    expect(withSla.length).toBeGreaterThan(0);
    expect(withSla.every((task: any) => task.sla !== null)).toBe(true);
    expect(
      dataOf(await key.get('/tasks?hasSla=false&limit=200')).items.every((task: any) => task.sla === null),
    ).toBe(true);
    const met = dataOf(await key.get('/tasks?slaMet=true&limit=200')).items;
    expect(met.every((task: any) => task.status === 'completed' && task.sla && !task.slaBreachedAt)).toBe(
      true,
    );
    expect(
      dataOf(await key.get('/tasks?assigneeId=unassigned&limit=200')).items.every(
        (task: any) => task.assigneeId === null,
      ),
    ).toBe(true);
  });

  it('refuses bad input with a 4xx naming the field, never a 500', async () => {
    const lead = await newLead();
    const cases: [Record<string, unknown>, number][] = [
      [{ title: 'x', leadId: lead.id, dealId: 'D-1' }, 400],
      [{ title: 'x', sla: 'P1M' }, 400],
      [{ title: 'x', sla: 'PT0S' }, 400],
      [{ title: 'x', status: 'overdue' }, 400],
      [{ title: 'x', unknown: true }, 400],
      [{ title: '' }, 400],
      [{ title: 'x', slaPolicyId: '00000000-0000-4000-8000-000000000000' }, 400],
      [{ title: 'x', assigneeId: '00000000-0000-4000-8000-000000000000' }, 400],
      [{ title: 'x', leadId: 'LD-999999' }, 404],
      [{ title: 'x', leadId: 'L-1' }, 400],
      [{ title: 'x', dueAt: 'tomorrow' }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await key.post('/tasks', body);
      expect(res.status, JSON.stringify(body) + res.text).toBe(status);
      expect(res.body.error.code).toMatch(/^(validation_failed|not_found)$/);
    }
    expect((await key.get('/tasks?status=late')).status).toBe(400);
    expect((await key.get('/tasks?bogus=1')).status).toBe(400);
    expect((await key.get('/tasks/T-x')).status).toBe(400);
    expect((await key.get('/tasks/T-999999')).status).toBe(404);
    expect((await key.patch(`/tasks/T-999999`, { status: 'overdue' })).status).toBe(400);
  });
});
