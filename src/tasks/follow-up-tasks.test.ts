import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireDueFollowUps } from '../automations/crm-triggers/automations.cron.js';
import { runEventBatch } from '../automations/engine/event-batch.js';
import { handleEvent, loadEngineSettings, type EngineEvent } from '../automations/engine/handle-event.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { tenantHandle } from '../testing/job-context.js';
import { dataOf, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

describe("follow-up tasks: a lead's follow-up date makes one follow_up task that follows it", () => {
  let t: TestApp;
  let acme: TestTenant;
  let key: TenantClient;
  let agentA: string;
  let phone = 0;
  const nextPhone = () => `+1415779${String(++phone).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000', JOB_POLL_MS: '100' });
    acme = await t.createTenant();
    key = t.crm(acme);
    agentA = dataOf(await key.post('/agents', { name: 'Agent A' }), 201).id;
  }, 120_000);
  afterAll(() => t?.close());

  const newLead = async (body: Record<string, unknown> = {}) =>
    dataOf(
      await key.post('/leads', { name: 'Follow', phone: nextPhone(), assignedAgentId: agentA, ...body }),
      201,
    ).lead;
  const followUpsOf = async (leadId: string) =>
    dataOf(await key.get(`/tasks?leadId=${leadId}&type=follow_up&limit=50`)).items as any[];

  it('set → one task due then for the owner; moved → the same task, new due; cleared → cancelled', async () => {
    const lead = await newLead();
    expect(await followUpsOf(lead.id)).toEqual([]);
    const first = '2031-05-01T10:00:00.000Z';
    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: first }));
    const [task] = await followUpsOf(lead.id);
    expect(task).toMatchObject({
      title: 'Follow up',
      type: 'follow_up',
      status: 'pending',
      record: { kind: 'lead', id: lead.id },
      assigneeId: agentA,
      dueAt: first,
      sla: null,
      stageId: null,
    });
    // An unrelated change leaves it alone.
    dataOf(await key.patch(`/leads/${lead.id}`, { company: 'Acme' }));
    expect(await followUpsOf(lead.id)).toMatchObject([{ id: task.id, dueAt: first }]);

    const second = '2031-06-02T09:30:00.000Z';
    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: second }));
    expect(await followUpsOf(lead.id)).toMatchObject([{ id: task.id, status: 'pending', dueAt: second }]);

    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: null }));
    expect(await followUpsOf(lead.id)).toMatchObject([
      { id: task.id, status: 'cancelled', cancelledAt: expect.any(String) },
    ]);
    // A new date after that makes a new task.
    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: first }));
    const again = await followUpsOf(lead.id);
    expect(again).toHaveLength(2);
    expect(again.find((x) => x.id !== task.id)).toMatchObject({ status: 'pending', dueAt: first });
  });

  it('a lead ingested with a follow-up date gets its task', async () => {
    const at = '2031-07-01T08:00:00.000Z';
    const lead = await newLead({ followUpAt: at });
    expect(await followUpsOf(lead.id)).toMatchObject([{ dueAt: at, assigneeId: agentA, status: 'pending' }]);
  });

  it('passing uncompleted, the task becomes overdue (the worker), and follow_up_due still fires', async () => {
    const lead = await newLead();
    const due = new Date(Date.now() + 2_000);
    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: due.toISOString() }));
    const [task] = await followUpsOf(lead.id);
    expect(task.status).toBe('pending');
    await expect
      .poll(async () => (await followUpsOf(lead.id))[0]?.status, { timeout: 15_000, interval: 200 })
      .toBe('overdue');
    const handle = await tenantHandle(t, acme.tenant.id);
    expect(await fireDueFollowUps(t.app.services, handle, new Date())).toBe(1);

    // A later date puts the overdue task back to pending.
    dataOf(await key.patch(`/leads/${lead.id}`, { followUpAt: '2031-01-01T00:00:00.000Z' }));
    expect(await followUpsOf(lead.id)).toMatchObject([{ id: task.id, status: 'pending' }]);
  });

  it("a deal's follow-up date: created with one, moved, cleared", async () => {
    dataOf(
      await key.post('/pipelines', {
        kind: 'deal',
        name: 'Deals',
        isDefault: true,
        stages: [{ name: 'Open' }],
      }),
      201,
    );
    const at = '2031-08-01T10:00:00.000Z';
    const deal = dataOf(
      await key.post('/deals', { title: 'Follow deal', currency: 'EUR', ownerId: agentA, followUpAt: at }),
      201,
    );
    expect(deal.followUpAt).toBe(at);
    const ofDeal = async () =>
      dataOf(await key.get(`/tasks?dealId=${deal.id}&type=follow_up&limit=50`)).items as any[];
    const [task] = await ofDeal();
    expect(task).toMatchObject({
      title: 'Follow up',
      record: { kind: 'deal', id: deal.id },
      assigneeId: agentA,
      dueAt: at,
      status: 'pending',
    });
    const moved = '2031-09-01T10:00:00.000Z';
    expect(dataOf(await key.patch(`/deals/${deal.id}`, { followUpAt: moved })).followUpAt).toBe(moved);
    expect(await ofDeal()).toMatchObject([{ id: task.id, dueAt: moved, status: 'pending' }]);
    dataOf(await key.patch(`/deals/${deal.id}`, { followUpAt: null }));
    expect(await ofDeal()).toMatchObject([{ id: task.id, status: 'cancelled' }]);
    expect((await key.patch(`/deals/${deal.id}`, { followUpAt: 'tomorrow' })).status).toBe(400);
  });

  it("an automation's set_follow_up makes the task, one event at a time and in a batch (held writes)", async () => {
    const tenant = await t.createTenant();
    dataOf(
      await t.automations(tenant).post('/rules', {
        name: 'Follow web forms',
        trigger: 'form_submitted',
        actions: [{ type: 'set_follow_up', afterMinutes: 60 }],
      }),
      201,
    );
    const handle = await tenantHandle(t, tenant.tenant.id);
    const services = t.app.services;
    const event = (n: number): EngineEvent => ({
      trigger: 'form_submitted',
      source: 'api',
      key: `api:follow-${n}`,
      clientEventId: `follow-${n}`,
      phone: `+1415556${String(1000 + n)}`,
      variables: {},
      createLead: { firstName: `Form ${n}`, assign: false },
    });
    await handleEvent(services, handle, event(1));
    const settings = await loadEngineSettings(handle);
    await inTenantTransaction(services, handle, (unit) =>
      runEventBatch(unit, services, handle, settings, [event(2), event(3)]),
    );
    const leads = await handle.db.selectFrom('leads').select(['id', 'follow_up_at']).execute();
    expect(leads).toHaveLength(3);
    const tasks = dataOf(await t.crm(tenant).get('/tasks?type=follow_up&limit=50')).items as any[];
    expect(tasks).toHaveLength(3);
    for (const lead of leads) {
      expect(lead.follow_up_at).not.toBeNull();
      const task = tasks.find((x) => x.record.id === lead.id);
      expect(task, lead.id).toMatchObject({ status: 'pending' });
      expect(new Date(task.dueAt).getTime()).toBe(lead.follow_up_at!.getTime());
    }
  });
});
