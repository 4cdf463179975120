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
});
