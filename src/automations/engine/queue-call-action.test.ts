import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { tenantJobs } from '../../testing/job-queue.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { dataOf } from '../../testing/tenant-client.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import { runEventBatch } from './event-batch.js';
import { loadEngineSettings, type EngineEvent } from './handle-event.js';

/** Issue 21: the `queue_call` automation action puts the event's lead in the call queue. */
describe('automation action queue_call', () => {
  let t: TestApp;
  let a: TestTenant;
  const fire = (body: unknown) => t.automations(a).post('/events', body);
  const queueOf = async (leadId: string) =>
    (await t.crm(a).get(`/call-queue?leadId=${leadId}&status=waiting,dialing,removed`)).body.data.items;

  beforeAll(async () => {
    // No worker: the dialer's tick stays queued, the entries stay waiting.
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('queuecall', { defaultCountry: 'IN' });
    dataOf(
      await t.automations(a).post('/rules', {
        name: 'Call web forms',
        trigger: 'form_submitted',
        actions: [
          { type: 'add_tag', tag: 'web-form' },
          { type: 'queue_call', priority: 'high', campaign: 'spring' },
        ],
      }),
      201,
    );
  });
  afterAll(() => t?.close());

  it('queues the lead of an event once; a second event reports it already queued', async () => {
    const first = await fire({
      trigger: 'form_submitted',
      phone: '98111 22001',
      createLeadIfMissing: true,
      leadData: { firstName: 'Asha' },
    });
    expect(first.status).toBe(202);
    const leadId = first.body.data.lead.id;
    expect(first.body.data.actionsApplied).toMatchObject([
      { type: 'add_tag', status: 'applied' },
      {
        type: 'queue_call',
        status: 'applied',
        detail: { queued: true, priority: 'high', campaign: 'spring' },
      },
    ]);
    const [entry] = await queueOf(leadId);
    expect(entry).toMatchObject({ leadId, priority: 'high', campaign: 'spring', status: 'waiting' });
    expect(first.body.data.actionsApplied[1].detail.entryId).toBe(entry.id);
    // The dialer is woken in the same unit of work.
    expect((await tenantJobs(t, a.tenant.id)).some((job) => job.kind === 'dialer.tick')).toBe(true);

    const second = await fire({ trigger: 'form_submitted', phone: '+919811122001' });
    expect(second.body.data.failedActions).toEqual([]);
    expect(second.body.data.actionsApplied[1]).toMatchObject({
      type: 'queue_call',
      status: 'applied',
      detail: { queued: false, reason: 'already_queued' },
    });
    expect(await queueOf(leadId)).toHaveLength(1);
  });

  it('skips a do-not-call lead, with the reason in the run', async () => {
    dataOf(await t.crm(a).post('/dnc', { phones: ['+919811122002'] }), 200);
    const res = await fire({
      trigger: 'form_submitted',
      phone: '+919811122002',
      createLeadIfMissing: true,
    });
    expect(res.status).toBe(202);
    const { lead, matchedRules, failedActions } = res.body.data;
    expect(failedActions).toEqual([]);
    expect(await queueOf(lead.id)).toEqual([]);
    const run = dataOf(await t.automations(a).get(`/runs/${matchedRules[0].runId}`));
    expect(run.status).toBe('succeeded');
    expect(run.actions[1]).toMatchObject({
      type: 'queue_call',
      status: 'applied',
      detail: { queued: false, reason: 'do_not_call' },
    });
  });

  it('defaults to medium priority and refuses an unknown one when the rule is saved', async () => {
    const bad = await t.automations(a).post('/rules', {
      name: 'Bad priority',
      trigger: 'tag_added',
      actions: [{ type: 'queue_call', priority: 'asap' }],
    });
    expect(bad.status).toBe(400);
    const rule = dataOf(
      await t.automations(a).post('/rules', {
        name: 'Call tagged',
        trigger: 'tag_added',
        conditions: [{ field: 'variables.tag', op: 'eq', value: 'call-me' }],
        actions: [{ type: 'queue_call' }],
      }),
      201,
    );
    expect(rule.actions).toEqual([{ type: 'queue_call', priority: 'medium' }]);
    const { lead } = dataOf(await t.crm(a).post('/leads', { name: 'Tagged', phone: '+919811122003' }), 201);
    dataOf(await t.crm(a).patch(`/leads/${lead.id}`, { tags: ['call-me'] }));
    // A CRM change fires its rules through the outbox, drained after the change's commit.
    await expect
      .poll(() => queueOf(lead.id), { timeout: 10_000 })
      .toMatchObject([{ priority: 'medium', campaign: 'default' }]);
  });

  it('queues the leads a batch of events creates (the batch ingests them before its rules run)', async () => {
    const handle = await tenantHandle(t, a.tenant.id);
    const services = t.app.services;
    const events: EngineEvent[] = Array.from({ length: 3 }, (_, n) => ({
      trigger: 'form_submitted',
      source: 'api' as const,
      key: `api:batch-${n}`,
      phone: `+91981112210${n}`,
      variables: {},
      createLead: { firstName: `Batch ${n}` },
    }));
    const settings = await loadEngineSettings(handle);
    const outcomes = await inTenantTransaction(services, handle, (unit) =>
      runEventBatch(unit, services, handle, settings, events),
    );
    for (const outcome of outcomes) {
      if (!('ok' in outcome)) throw outcome.error;
      expect(outcome.ok.leadCreated).toBe(true);
      expect(outcome.ok.actionsApplied[1]).toMatchObject({
        type: 'queue_call',
        detail: { queued: true },
      });
      expect(await queueOf((outcome.ok.lead as { id: string }).id)).toMatchObject([
        { priority: 'high', campaign: 'spring', status: 'waiting' },
      ]);
    }
  });
});
