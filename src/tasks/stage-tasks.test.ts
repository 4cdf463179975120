import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBusinessTime, type WorkingCalendar } from '../calendars/index.js';
import { dataOf, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

const day: [string, string][] = [['09:00', '17:00']];
const weekdays: WorkingCalendar = {
  timezone: 'UTC',
  intervals: { mon: day, tue: day, wed: day, thu: day, fri: day },
  holidays: [],
};
const ms = (value: string) => new Date(value).getTime();

describe('task workflows: a stage’s templates make tasks on entry, leaving cancels them', () => {
  let t: TestApp;
  let acme: TestTenant;
  let key: TenantClient;
  let agentA: string;
  let phone = 0;
  const nextPhone = () => `+1415778${String(++phone).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000' });
    acme = await t.createTenant();
    key = t.crm(acme);
    agentA = dataOf(await key.post('/agents', { name: 'Agent A' }), 201).id;
    dataOf(await key.put('/calendars/default', weekdays));
  }, 120_000);
  afterAll(() => t?.close());

  /** The record's tasks by template key (tasks made together share their creation instant). */
  const tasksOf = async (query: string) =>
    (dataOf(await key.get(`/tasks?${query}&limit=50`)).items as any[]).sort((a, b) =>
      a.templateKey.localeCompare(b.templateKey),
    );

  it('validates templates: defaults, generated keys, duplicate keys and bad durations refused', async () => {
    const pipeline = dataOf(
      await key.post('/pipelines', {
        kind: 'deal',
        name: 'Checked',
        stages: [{ name: 'One', taskTemplates: [{ title: 'A' }, { key: 't1', title: 'B', sla: null }] }],
      }),
      201,
    );
    expect(pipeline.stages[0]).toMatchObject({
      cancelTasksOnExit: true,
      taskTemplates: [
        {
          key: 't2',
          title: 'A',
          type: 'pipeline',
          priority: 'medium',
          sla: null,
          dueIn: null,
          description: null,
        },
        { key: 't1', title: 'B' },
      ],
    });
    const patched = dataOf(
      await key.patch(`/pipelines/${pipeline.id}/stages/${pipeline.stages[0].id}`, {
        cancelTasksOnExit: false,
        taskTemplates: [{ title: 'C', dueIn: 'PT2H' }],
      }),
    );
    expect(patched.stages[0]).toMatchObject({
      cancelTasksOnExit: false,
      taskTemplates: [{ key: 't1', title: 'C', dueIn: 'PT2H' }],
    });
    const added = dataOf(
      await key.post(`/pipelines/${pipeline.id}/stages`, {
        name: 'Two',
        taskTemplates: [{ title: 'D', sla: 'PT1H' }],
      }),
      201,
    );
    expect(added.stages[1].taskTemplates).toMatchObject([{ key: 't1', sla: 'PT1H' }]);
    const duplicate = await key.patch(`/pipelines/${pipeline.id}/stages/${pipeline.stages[0].id}`, {
      taskTemplates: [
        { key: 'x', title: 'A' },
        { key: 'x', title: 'B' },
      ],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.details).toEqual([
      { path: 'body.taskTemplates.1.key', message: expect.stringContaining('share a key') },
    ]);
    for (const template of [
      { title: 'A', sla: '4 hours' },
      { title: 'A', dueIn: 'PT0S' },
      { title: 'A', extra: 1 },
    ]) {
      const res = await key.patch(`/pipelines/${pipeline.id}/stages/${pipeline.stages[0].id}`, {
        taskTemplates: [template],
      });
      expect(res.status, JSON.stringify(template)).toBe(400);
    }
    const tooMany = await key.patch(`/pipelines/${pipeline.id}/stages/${pipeline.stages[0].id}`, {
      taskTemplates: Array.from({ length: 21 }, (_, i) => ({ title: `T${i}` })),
    });
    expect(tooMany.status).toBe(400);
  });

  it('a deal entering a stage gets its tasks for its owner; leaving cancels the open ones unless the stage keeps them', async () => {
    const pipeline = dataOf(
      await key.post('/pipelines', {
        kind: 'deal',
        name: 'Deals with tasks',
        stages: [
          { name: 'Lead in' },
          {
            name: 'Qualify',
            taskTemplates: [
              { key: 'call', title: 'Discovery call', type: 'call', priority: 'high', sla: 'PT4H' },
              { key: 'quote', title: 'Send a quote', dueIn: 'P1D' },
            ],
          },
          { name: 'Propose', cancelTasksOnExit: false, taskTemplates: [{ key: 'keep', title: 'Chase' }] },
          { name: 'Negotiate' },
        ],
      }),
      201,
    );
    const [s1, s2, s3, s4] = pipeline.stages.map((s: any) => s.id);
    const deal = dataOf(
      await key.post('/deals', { title: 'Tasks', currency: 'EUR', pipelineId: pipeline.id, ownerId: agentA }),
      201,
    );
    expect(deal.stage.id).toBe(s1);
    expect(await tasksOf(`dealId=${deal.id}`)).toEqual([]);

    dataOf(await key.post(`/deals/${deal.id}/stage`, { stageId: s2 }));
    const [call, quote] = await tasksOf(`dealId=${deal.id}`);
    expect(call).toMatchObject({
      title: 'Discovery call',
      type: 'call',
      priority: 'high',
      status: 'pending',
      record: { kind: 'deal', id: deal.id },
      assigneeId: agentA,
      stageId: s2,
      templateKey: 'call',
      sla: { duration: 'PT4H', policyId: null },
      slaStatus: 'on_track',
      dueAt: null,
    });
    expect(quote).toMatchObject({ title: 'Send a quote', type: 'pipeline', templateKey: 'quote', sla: null });
    // Exact, on the tenant calendar (weekdays 09:00–17:00 UTC), from the instant the tasks were made.
    const start = new Date(call.slaStartedAt);
    expect(ms(call.slaDeadline)).toBe(addBusinessTime(weekdays, start, 4 * 3_600_000).getTime());
    expect(ms(quote.dueAt)).toBe(addBusinessTime(weekdays, start, 86_400_000).getTime());

    // A refused move (backward in a forward-only pipeline) makes nothing: one transaction.
    const backward = await key.post(`/deals/${deal.id}/stage`, { stageId: s1 });
    expect(backward.status).toBe(409);
    expect(await tasksOf(`dealId=${deal.id}`)).toHaveLength(2);

    dataOf(await key.post(`/deals/${deal.id}/stage`, { stageId: s3 }));
    const afterLeaving = await tasksOf(`dealId=${deal.id}`);
    expect(afterLeaving).toMatchObject([
      {
        templateKey: 'call',
        status: 'cancelled',
        slaStatus: 'not_applicable',
        cancelledAt: expect.any(String),
      },
      { templateKey: 'keep', stageId: s3, status: 'pending' },
      { templateKey: 'quote', status: 'cancelled', cancelledAt: expect.any(String) },
    ]);

    dataOf(await key.post(`/deals/${deal.id}/stage`, { stageId: s4 }));
    const kept = (await tasksOf(`dealId=${deal.id}`))[1];
    expect(kept).toMatchObject({ templateKey: 'keep', status: 'pending', cancelledAt: null });
  });

  it('a lead ingested into a default lead pipeline gets the first stage’s task (single ingest and batch)', async () => {
    const tenant = await t.createTenant();
    const client = t.crm(tenant);
    const agent = dataOf(await client.post('/agents', { name: 'Owner' }), 201).id;
    const pipeline = dataOf(
      await client.post('/pipelines', {
        kind: 'lead',
        name: 'Inbound',
        isDefault: true,
        stages: [
          { name: 'Fresh', taskTemplates: [{ key: 'first-call', title: 'First call', sla: 'PT1H' }] },
          { name: 'Next' },
        ],
      }),
      201,
    );
    const single = dataOf(
      await client.post('/leads', { name: 'Single', phone: nextPhone(), assignedAgentId: agent }),
      201,
    ).lead;
    // Auto-assigned: the task goes to the owner the assignment chose (the entry is recorded after it).
    const routed = dataOf(await client.post('/leads', { name: 'Routed', phone: nextPhone() }), 201).lead;
    const csv = ['name,phone', ...Array.from({ length: 3 }, (_, i) => `Csv ${i},${nextPhone()}`)].join('\n');
    const imported = await t.request<any>('/api/crm/leads/import?mode=sync&assign=false', {
      method: 'POST',
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status, imported.text).toBe(200);
    const tasks = dataOf(await client.get('/tasks?limit=50')).items as any[];
    expect(tasks).toHaveLength(5);
    for (const task of tasks) {
      expect(task).toMatchObject({
        title: 'First call',
        templateKey: 'first-call',
        stageId: pipeline.stages[0].id,
        record: { kind: 'lead' },
        sla: { duration: 'PT1H' },
      });
    }
    const byLead = new Map(tasks.map((task) => [task.record.id, task]));
    expect(byLead.get(single.id)?.assigneeId).toBe(agent);
    expect(byLead.get(routed.id)?.assigneeId).toBe(routed.assignedAgentId);
  });
});
