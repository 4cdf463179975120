import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker } from '../testing/job-queue.js';
import { dataOf } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { assignCohortJob } from './cohorts.jobs.js';
import { cohortAssignmentProgressEvent } from './start-assignment.js';

interface Progress {
  id: string;
  ref: string;
  status: string;
  processed: number;
  assigned: number;
  skipped: number;
  failed: number;
}

/** Cohort distributions through the real queue and worker, with their realtime progress. */
describe('cohort distribution (real queue and worker)', () => {
  let t: TestApp;
  let worker: JobWorker;
  const sockets: Socket[] = [];

  const importLeads = async (tenant: TestTenant, tag: string, count: number, from = 0) => {
    const lines = ['Name,Mobile,Tags'];
    for (let i = from; i < from + count; i++) lines.push(`Lead ${i},97${String(i).padStart(8, '0')},${tag}`);
    const res = await t.request('/api/crm/leads/import?mode=sync&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: lines.join('\n') + '\n',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.created).toBe(count);
  };
  const addAgent = async (tenant: TestTenant, body: Record<string, unknown>) =>
    dataOf(await t.crm(tenant).post('/agents', body), 201).id as string;
  const addCohort = async (tenant: TestTenant, body: Record<string, unknown>) =>
    dataOf(await t.crm(tenant).post('/cohorts', body), 201).id as string;
  const distribute = async (tenant: TestTenant, cohort: string, body: Record<string, unknown>) =>
    dataOf(await t.crm(tenant).post(`/cohorts/${cohort}/assignments`, body), 202) as Progress;
  const finished = async (tenant: TestTenant, ref: string) => {
    await expect
      .poll(async () => dataOf(await t.crm(tenant).get(`/cohorts/assignments/${ref}`)).status, {
        timeout: 60_000,
        interval: 100,
      })
      .toMatch(/completed|failed/);
    return dataOf(await t.crm(tenant).get(`/cohorts/assignments/${ref}`));
  };
  const listen = async (tenant: TestTenant) => {
    const events: { progress: Progress[]; assigned: string[] } = { progress: [], assigned: [] };
    const socket = io(t.baseUrl, {
      auth: { clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey },
      transports: ['websocket'],
    });
    sockets.push(socket);
    socket.on(cohortAssignmentProgressEvent, (payload: Progress) => events.progress.push(payload));
    socket.on('lead.assigned', (payload: { lead?: { id: string }; id?: string }) =>
      events.assigned.push(payload.lead?.id ?? payload.id ?? ''),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return events;
  };
  const agentsToday = async (tenant: TestTenant) =>
    Object.fromEntries(
      (dataOf(await t.crm(tenant).get('/agents')).items as { id: string; assignedToday: number }[]).map(
        (agent) => [agent.id, agent.assignedToday],
      ),
    );
  const leadTotal = async (tenant: TestTenant, query: string) =>
    dataOf(await t.crm(tenant).get(`/leads?${query}&limit=1`)).total as number;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    worker = await startWorker(t, [assignCohortJob]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await worker?.stop();
    await t?.close();
  });

  it('shares the leads in proportion to capacity, with progress, a report and CAJ ids', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    // 120 leads: two pages of the walk, so progress arrives while it runs.
    await importLeads(tenant, 'vip', 120);
    await importLeads(tenant, 'cold', 5, 1000);
    const a = await addAgent(tenant, { name: 'Asha', dailyLimit: 300 });
    const b = await addAgent(tenant, { name: 'Ravi', dailyLimit: 100 });
    const bystander = await addAgent(tenant, { name: 'Not chosen', dailyLimit: 100 });
    const cohort = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });
    const events = await listen(tenant);

    const started = await distribute(tenant, cohort, { agentIds: [a, b] });
    expect(started).toMatchObject({
      ref: 'CAJ-1',
      status: 'queued',
      capacity: 'dailyLimit',
      agents: [
        { agentId: a, capacity: 300, share: 0.75 },
        { agentId: b, capacity: 100, share: 0.25 },
      ],
    });
    const done = await finished(tenant, 'CAJ-1');
    expect(done).toMatchObject({ status: 'completed', processed: 120, assigned: 120, skipped: 0, failed: 0 });
    expect(done.completedAt).not.toBeNull();
    // 120 = 30 cycles of A A B A: 75 % and 25 %.
    expect(done.report).toEqual({
      byAgent: [
        { agentId: a, name: 'Asha', assigned: 90 },
        { agentId: b, name: 'Ravi', assigned: 30 },
      ],
      skippedByReason: {},
      failedByReason: {},
    });
    expect(await leadTotal(tenant, `tags=vip&agentId=${a}`)).toBe(90);
    expect(await leadTotal(tenant, `tags=vip&agentId=${b}`)).toBe(30);
    expect(await leadTotal(tenant, 'tags=cold&agentId=unassigned')).toBe(5);
    expect(await agentsToday(tenant)).toEqual({ [a]: 90, [b]: 30, [bystander]: 0 });

    // Each lead was assigned as PATCH assigns: an activity entry naming the agent.
    const someLead = dataOf(await t.crm(tenant).get(`/leads?tags=vip&agentId=${b}&limit=1`)).items[0];
    const timeline = JSON.stringify(dataOf(await t.crm(tenant).get(`/leads/${someLead.id}/activity`)).items);
    expect(timeline).toContain('assignedAgentId');
    expect(timeline).toContain(b);

    // Realtime: queued, running, a count per page that only grows, and the final report's counts.
    await expect.poll(() => events.progress.at(-1)?.status, { timeout: 10_000 }).toBe('completed');
    const own = events.progress.filter((event) => event.ref === 'CAJ-1');
    expect(own[0]).toMatchObject({ status: 'queued', processed: 0 });
    const counts = own.filter((event) => event.status === 'running').map((event) => event.processed);
    expect(counts).toEqual([0, 100, 120]);
    expect(own.at(-1)).toMatchObject({ status: 'completed', processed: 120, assigned: 120 });
    await expect.poll(() => events.assigned.length, { timeout: 10_000 }).toBe(120);

    // Again: nothing is left unassigned, and the distribution is CAJ-2.
    const again = await distribute(tenant, cohort, { agentIds: [a, b] });
    expect(again.ref).toBe('CAJ-2');
    expect(await finished(tenant, 'CAJ-2')).toMatchObject({ status: 'completed', processed: 0 });
    const history = dataOf(await t.crm(tenant).get(`/cohorts/${cohort}/assignments?limit=1`));
    expect(history.items.map((job: Progress) => job.ref)).toEqual(['CAJ-2']);
    const older = dataOf(
      await t.crm(tenant).get(`/cohorts/${cohort}/assignments?limit=1&cursor=${history.nextCursor}`),
    );
    expect(older).toMatchObject({ items: [{ ref: 'CAJ-1' }], nextCursor: null });
  });

  it("holds agents' daily limits as the engine counts them, reporting each lead left over", async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    // The engine gives A one lead at ingest: A has room for 2 more today.
    const a = await addAgent(tenant, { name: 'A', dailyLimit: 3 });
    const first = await t.crm(tenant).post('/leads', { name: 'Walk-in', phone: '9811111111' });
    expect(first.body.data.lead.assignedAgentId).toBe(a);
    const b = await addAgent(tenant, { name: 'B', dailyLimit: 1, available: false });
    await importLeads(tenant, 'vip', 10);
    const cohort = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });

    const started = await distribute(tenant, cohort, { agentIds: [a, b], limit: 8 });
    const done = await finished(tenant, started.ref);
    expect(done).toMatchObject({ status: 'completed', processed: 8, assigned: 3, failed: 5, skipped: 0 });
    expect(done.report).toEqual({
      byAgent: [
        { agentId: a, name: 'A', assigned: 2 },
        { agentId: b, name: 'B', assigned: 1 },
      ],
      skippedByReason: {},
      failedByReason: { daily_limit_reached: 5 },
    });
    expect(await agentsToday(tenant)).toEqual({ [a]: 3, [b]: 1 });
    const failed = dataOf(
      await t.crm(tenant).get(`/cohorts/assignments/${started.ref}/leads?outcome=failed`),
    );
    expect(failed.items.map((item: { position: number }) => item.position)).toEqual([4, 5, 6, 7, 8]);
    expect(new Set(failed.items.map((item: { reason: string }) => item.reason))).toEqual(
      new Set(['daily_limit_reached']),
    );
    // The limit stopped it at 8: two vip leads were not taken.
    expect(await leadTotal(tenant, 'tags=vip&agentId=unassigned')).toBe(7);
  });

  it('never takes an agent past its daily limit while leads are ingested at the same time', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    await importLeads(tenant, 'vip', 30);
    const a = await addAgent(tenant, { name: 'A', dailyLimit: 40 });
    const cohort = await addCohort(tenant, { name: 'VIP', filter: { tags: ['vip'] } });

    const started = await distribute(tenant, cohort, { agentIds: [a] });
    // 30 new leads arrive while the distribution runs; the engine gives them to A too.
    const ingested = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.crm(tenant).post('/leads', { name: `New ${i}`, phone: `96${String(i).padStart(8, '0')}` }),
      ),
    );
    expect(ingested.every((res) => res.status === 201)).toBe(true);
    const done = await finished(tenant, started.ref);
    const byIngest = ingested.filter((res) => res.body.data.lead.assignedAgentId === a).length;
    expect(done.assigned + byIngest).toBe(40);
    expect(done.failed).toBe(30 - done.assigned);
    expect(await leadTotal(tenant, `agentId=${a}`)).toBe(40);
    expect(await agentsToday(tenant)).toEqual({ [a]: 40 });
  });
});
