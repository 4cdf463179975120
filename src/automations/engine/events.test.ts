import { refuseNotesStartingWith } from '../../testing/refuse-notes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, tenantJobs, waitForStatus } from '../../testing/job-queue.js';
import { jobContext, tenantHandle } from '../../testing/job-context.js';
import { syncedTemplate } from '../../testing/whatsapp-template.js';
import { testDatabaseKind } from '../../testing/test-database.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { resumeRunJobKind } from './automation-session.js';
import { resumeRun } from '../runs/resume-run.job.js';
import { issueExampleRule } from '../../testing/example-rule.js';
import { resumeRunJob } from '../automations.jobs.js';
import { dataOf } from '../../testing/tenant-client.js';

describe('automation events', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let phoneCounter = 0;
  const nextPhone = () => `98765${String(10_000 + ++phoneCounter).slice(-5)}`;
  const createRule = async (tenant: TestTenant, rule: unknown) =>
    dataOf(await t.automations(tenant).post('/rules', rule), 201);
  const fire = (tenant: TestTenant, body: unknown) => t.automations(tenant).post('/events', body);

  beforeAll(async () => {
    // No worker in the app: jobs stay queued for the assertions; tests that run them start one.
    // Webhook URLs point at this machine (never called: no worker runs them).
    t = await startTestApp({ ROLE: 'web', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    a = await t.createTenant('eventsa', { defaultCountry: 'IN', timezone: 'Asia/Kolkata' });
    b = await t.createTenant('eventsb', { defaultCountry: 'IN' });
    await syncedTemplate((await tenantHandle(t, a.tenant.id)).db, 'welcome', 'en');
    await createRule(a, issueExampleRule);
  });
  afterAll(() => t?.close());

  it('runs the example rule end to end: tag in the same transaction, WhatsApp job requested', async () => {
    const agent = await t.crm(a).post('/agents', { name: 'Arjun' });
    const res = await fire(a, {
      trigger: 'form_submitted',
      phone: '81439 63821',
      variables: { patientName: 'Dhanesh', doctorName: 'Dr. Arjun', time: 'Monday 10AM' },
      createLeadIfMissing: true,
      leadData: { source: 'website', firstName: 'Dhanesh' },
    });
    expect(res.status).toBe(202);
    const result = res.body.data;
    expect(result).toMatchObject({
      trigger: 'form_submitted',
      duplicate: false,
      leadCreated: true,
      lead: {
        phone: '+918143963821',
        source: 'website',
        tags: ['web-form'],
        assignedAgentId: agent.body.data.id,
      },
      matchedRules: [{ ruleName: 'Tag web forms', trigger: 'form_submitted', depth: 0, status: 'succeeded' }],
      actionsApplied: [{ type: 'add_tag', status: 'applied', detail: { tag: 'web-form', changed: true } }],
      failedActions: [],
    });
    expect(result.jobs).toHaveLength(1);
    const [job] = result.jobs;
    expect(job.kind).toBe('automation.send_whatsapp_template');

    const stored = (await tenantJobs(t, a.tenant.id)).find((row) => String(row.id) === job.id)!;
    expect(stored).toMatchObject({
      kind: 'automation.send_whatsapp_template',
      status: 'queued',
      idempotency_key: `automation:${result.matchedRules[0].runId}:1`,
    });
    expect(stored.run_at.toISOString()).toBe(job.runAt);
    expect(stored.payload).toMatchObject({
      to: '+918143963821',
      template: 'welcome',
      language: 'en',
      parameters: ['Dhanesh'],
      runId: result.matchedRules[0].runId,
      actionIndex: 1,
    });

    const lead = await t.crm(a).get(`/leads/${result.lead.id}`);
    expect(lead.body.data.tags).toEqual(['web-form']);
    const activity = await t.crm(a).get(`/leads/${result.lead.id}/activity`);
    expect(activity.body.data.items.map((entry: any) => entry.kind)).toEqual([
      'created',
      'assigned',
      'field_changed',
    ]);
    expect(activity.body.data.items[2]).toMatchObject({
      actor: { type: 'system', id: null, name: 'automation: Tag web forms' },
      data: { field: 'tags' },
    });

    const run = await t.automations(a).get(`/runs/${result.matchedRules[0].runId}`);
    expect(run.body.data).toMatchObject({
      ruleName: 'Tag web forms',
      status: 'succeeded',
      jobIds: [job.id],
      event: {
        trigger: 'form_submitted',
        source: 'api',
        phone: '+918143963821',
        variables: { patientName: 'Dhanesh' },
      },
      actions: [
        { index: 0, type: 'add_tag', status: 'applied' },
        {
          index: 1,
          type: 'send_whatsapp_template',
          status: 'queued',
          jobId: job.id,
          job: { status: 'queued', attempts: 0 },
        },
      ],
      jobs: [{ id: job.id, kind: 'automation.send_whatsapp_template', status: 'queued', attempts: 0 }],
    });
  });

  it('does not match when the conditions do not hold, and the alias route works the same', async () => {
    const res = await t.crm(a).post('/automations/events', {
      trigger: 'form_submitted',
      phone: nextPhone(),
      createLeadIfMissing: true,
      leadData: { source: 'referral', name: 'Ravi' },
    });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({
      leadCreated: true,
      matchedRules: [],
      jobs: [],
      lead: { tags: [] },
    });
  });

  it('rejects a bad phone and createLeadIfMissing without a phone', async () => {
    const bad = await fire(a, { trigger: 'form_submitted', phone: '12' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.phone');
    const noPhone = await fire(a, { trigger: 'form_submitted', createLeadIfMissing: true });
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.details[0].path).toBe('body.phone');
  });

  it('createLeadIfMissing goes through CRM ingest: an existing phone is reused and filled, not duplicated', async () => {
    const phone = nextPhone();
    const existing = await t.crm(a).post('/leads', { name: 'Meera', phone, assign: false });
    const res = await fire(a, {
      trigger: 'service_enrolled',
      phone: `+91 ${phone}`,
      createLeadIfMissing: true,
      leadData: { city: 'Pune', source: 'website' },
    });
    expect(res.body.data).toMatchObject({
      leadCreated: false,
      lead: { id: existing.body.data.lead.id, firstName: 'Meera', city: 'Pune' },
    });
    const handle = await tenantHandle(t, a.tenant.id);
    const leads = await handle.db
      .selectFrom('leads')
      .select('id')
      .where('phone', '=', `+91${phone}`)
      .execute();
    expect(leads).toHaveLength(1);
  });

  it('concurrent events for one new phone create one lead, assigned once (CRM dedupe and assignment)', async () => {
    const e = await t.createTenant('eventse', { defaultCountry: 'IN' });
    const agents = await Promise.all(['P', 'Q'].map((name) => t.crm(e).post('/agents', { name })));
    const phone = nextPhone();
    const n = testDatabaseKind === 'postgres' ? 50 : 10;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        fire(e, { trigger: 'form_submitted', phone, createLeadIfMissing: true, variables: { i } }),
      ),
    );
    expect(responses.map((res) => res.status)).toEqual(Array(n).fill(202));
    expect(responses.filter((res) => res.body.data.leadCreated)).toHaveLength(1);
    expect(new Set(responses.map((res) => res.body.data.lead.id)).size).toBe(1);
    const owner = responses[0]!.body.data.lead.assignedAgentId;
    expect(agents.map((agent) => agent.body.data.id)).toContain(owner);
    const activity = await t.crm(e).get(`/leads/${responses[0]!.body.data.lead.id}/activity`);
    expect(activity.body.data.items.filter((entry: any) => entry.kind === 'assigned')).toHaveLength(1);
  });

  it('handles the same eventId once: the second time does nothing and answers the first result', async () => {
    await createRule(a, {
      name: 'Note purchases',
      trigger: 'product_purchased',
      actions: [
        { type: 'add_note', body: 'Bought {{product}}' },
        { type: 'add_tag', tag: 'customer' },
      ],
    });
    const body = {
      trigger: 'product_purchased',
      phone: nextPhone(),
      createLeadIfMissing: true,
      variables: { product: 'Gold plan' },
      eventId: 'order-1001',
    };
    const first = await fire(a, body);
    const second = await fire(a, { ...body, variables: { product: 'Changed' } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(first.body.data.duplicate).toBe(false);
    expect(second.body.data).toEqual({ ...first.body.data, duplicate: true });
    const leadId = first.body.data.lead.id;
    const notes = await t.crm(a).get(`/leads/${leadId}/notes`);
    expect(notes.body.data.items.map((note: any) => note.body)).toEqual(['Bought Gold plan']);
    const runs = await t.automations(a).get(`/runs?ruleId=${first.body.data.matchedRules[0].ruleId}`);
    expect(runs.body.data.items).toHaveLength(1);
  });

  it('handles concurrent duplicates of one eventId exactly once', async () => {
    const n = testDatabaseKind === 'postgres' ? 200 : 20;
    await createRule(a, {
      name: 'Enrolment note',
      trigger: 'service_enrolled',
      conditions: [{ field: 'variables.course', op: 'exists' }],
      actions: [
        { type: 'add_note', body: 'Enrolled in {{course}}' },
        { type: 'call_webhook', url: 'http://127.0.0.1:9/enrolments' },
      ],
    });
    const body = {
      trigger: 'service_enrolled',
      phone: nextPhone(),
      createLeadIfMissing: true,
      variables: { course: 'Yoga' },
      eventId: 'enrol-77',
    };
    const responses = await Promise.all(Array.from({ length: n }, () => fire(a, body)));
    expect(responses.map((res) => res.status)).toEqual(Array(n).fill(202));
    expect(responses.filter((res) => !res.body.data.duplicate)).toHaveLength(1);
    expect(new Set(responses.map((res) => res.body.data.eventId)).size).toBe(1);
    const leadId = responses[0]!.body.data.lead.id;
    expect(new Set(responses.map((res) => res.body.data.lead.id))).toEqual(new Set([leadId]));
    const notes = await t.crm(a).get(`/leads/${leadId}/notes`);
    expect(notes.body.data.items).toHaveLength(1);
    const webhooks = (await tenantJobs(t, a.tenant.id)).filter(
      (job) => job.kind === 'automation.call_webhook' && (job.payload as any).leadId === leadId,
    );
    expect(webhooks).toHaveLength(1);
  });

  it('records a missing template variable as a failed action of the run, not a 500', async () => {
    const rule = await createRule(a, {
      name: 'Confirm appointment',
      trigger: 'appointment_confirmed',
      actions: [
        { type: 'send_whatsapp_text', text: 'Hi {{patientName}}, see you {{time}} at {{lead.company}}' },
        { type: 'add_tag', tag: 'confirmed' },
      ],
    });
    const res = await fire(a, {
      trigger: 'appointment_confirmed',
      phone: nextPhone(),
      createLeadIfMissing: true,
      variables: { time: 'Monday 10AM' },
    });
    expect(res.status).toBe(202);
    expect(res.body.data.jobs).toEqual([]);
    expect(res.body.data.failedActions).toEqual([
      expect.objectContaining({
        index: 0,
        type: 'send_whatsapp_text',
        status: 'failed',
        error: expect.objectContaining({
          code: 'missing_variables',
          details: { missing: ['patientName', 'lead.company'] },
        }),
      }),
    ]);
    expect(res.body.data.lead.tags).toEqual(['confirmed']);
    const runs = await t.automations(a).get(`/runs?ruleId=${rule.id}&status=failed`);
    expect(runs.body.data.items).toHaveLength(1);
  });

  it('keeps going after a failed internal action, undoing only that action', async () => {
    await createRule(b, {
      name: 'Won again',
      trigger: 'deal_won',
      actions: [
        { type: 'set_status', status: 'contacted' },
        { type: 'add_tag', tag: 'repeat' },
      ],
    });
    const phone = nextPhone();
    const created = await t.crm(b).post('/leads', { name: 'Kiran', phone, status: 'won', assign: false });
    const res = await fire(b, { trigger: 'deal_won', phone });
    expect(res.body.data.failedActions).toEqual([
      expect.objectContaining({
        type: 'set_status',
        error: expect.objectContaining({ code: 'invalid_status_transition' }),
      }),
    ]);
    expect(res.body.data.lead).toMatchObject({
      id: created.body.data.lead.id,
      status: 'won',
      tags: ['repeat'],
    });
  });

  it('records a database error inside an action run without its savepoint as that action failing, the rest kept', async () => {
    // The API runs such actions bare; a database error aborts that attempt, and the event runs
    // again with every action in its savepoint (one event row, one run, the same outcome).
    const g = await t.createTenant('eventsg', { defaultCountry: 'IN' });
    const handle = await tenantHandle(t, g.tenant.id);
    await refuseNotesStartingWith(handle, 'refused');
    const rule = await createRule(g, {
      name: 'Tag, note, tag',
      trigger: 'form_submitted',
      actions: [
        { type: 'add_tag', tag: 'before' },
        { type: 'add_note', body: 'refused: {{reason}}' },
        { type: 'change_score', by: 7 },
        { type: 'add_tag', tag: 'after' },
      ],
    });
    const res = await fire(g, {
      trigger: 'form_submitted',
      phone: nextPhone(),
      createLeadIfMissing: true,
      variables: { reason: 'test' },
      eventId: 'refused-note-1',
    });
    expect(res.status).toBe(202);
    expect(res.body.data.failedActions).toEqual([
      expect.objectContaining({ type: 'add_note', error: expect.objectContaining({ code: 'invalid_data' }) }),
    ]);
    expect(res.body.data.actionsApplied.map((action: any) => action.type)).toEqual([
      'add_tag',
      'change_score',
      'add_tag',
    ]);
    const leadId = res.body.data.lead.id;
    expect(res.body.data.lead.tags).toEqual(['before', 'after']);
    expect((await t.crm(g).get(`/leads/${leadId}`)).body.data.tags).toEqual(['before', 'after']);
    expect((await t.crm(g).get(`/leads/${leadId}/notes`)).body.data.items).toEqual([]);
    expect(await handle.db.selectFrom('automation_events').select('id').execute()).toHaveLength(1);
    const runs = await handle.db.selectFrom('automation_runs').select(['rule_id', 'status']).execute();
    expect(runs).toEqual([{ rule_id: rule.id, status: 'failed' }]);
    const replay = await fire(g, {
      trigger: 'form_submitted',
      phone: res.body.data.lead.phone,
      createLeadIfMissing: true,
      eventId: 'refused-note-1',
    });
    expect(replay.body.data).toMatchObject({ duplicate: true, eventId: res.body.data.eventId });
  });

  it('stores the runs a resumed run cascades into', async () => {
    const h = await t.createTenant('eventsh', { defaultCountry: 'IN' });
    const waiting = await createRule(h, {
      name: 'Tag later',
      trigger: 'form_submitted',
      actions: [
        { type: 'wait', minutes: 10 },
        { type: 'add_tag', tag: 'late' },
      ],
    });
    const cascaded = await createRule(h, {
      name: 'Score the late tag',
      trigger: 'tag_added',
      conditions: [{ field: 'variables.tag', op: 'eq', value: 'late' }],
      actions: [{ type: 'change_score', by: 4 }],
    });
    const res = await fire(h, { trigger: 'form_submitted', phone: nextPhone(), createLeadIfMissing: true });
    const [resume] = res.body.data.jobs;
    expect(resume.kind).toBe(resumeRunJobKind);
    await t.app.services.platform
      .updateTable('jobs')
      .set({ run_at: new Date() })
      .where('id', '=', Number(resume.id))
      .execute();
    const worker = await startWorker(t, [resumeRunJob]);
    try {
      await waitForStatus(t, h.tenant.id, resume.id, 'succeeded');
    } finally {
      await worker.stop();
    }
    const runs = await t.automations(h).get(`/runs?ruleId=${cascaded.id}`);
    expect(runs.body.data.items).toEqual([
      expect.objectContaining({
        ruleId: cascaded.id,
        depth: 1,
        status: 'succeeded',
        eventId: res.body.data.eventId,
      }),
    ]);
    const first = await t.automations(h).get(`/runs?ruleId=${waiting.id}`);
    expect(first.body.data.items).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('cascades internal triggers and cuts a loop at the depth limit, reporting the cut', async () => {
    const c = await t.createTenant('eventsc', { defaultCountry: 'IN' });
    await createRule(c, {
      name: 'Start',
      trigger: 'form_submitted',
      actions: [{ type: 'add_tag', tag: 'ping' }],
    });
    await createRule(c, {
      name: 'Ping',
      trigger: 'tag_added',
      conditions: [{ field: 'variables.tag', op: 'eq', value: 'ping' }],
      actions: [{ type: 'remove_tag', tag: 'ping' }],
    });
    await createRule(c, {
      name: 'Pong',
      trigger: 'tag_removed',
      conditions: [{ field: 'tag', op: 'eq', value: 'ping' }],
      actions: [{ type: 'add_tag', tag: 'ping' }],
    });
    await createRule(c, {
      name: 'Won',
      trigger: 'deal_won',
      actions: [{ type: 'add_tag', tag: 'customer' }],
    });
    await createRule(c, {
      name: 'Close',
      trigger: 'form_submitted',
      conditions: [{ field: 'variables.close', op: 'eq', value: true }],
      actions: [{ type: 'set_status', status: 'won' }],
    });

    const res = await fire(c, { trigger: 'form_submitted', phone: nextPhone(), createLeadIfMissing: true });
    const result = res.body.data;
    expect(result.matchedRules.map((run: any) => [run.ruleName, run.depth])).toEqual([
      ['Start', 0],
      ['Ping', 1],
      ['Pong', 2],
      ['Ping', 3],
      ['Pong', 4],
      ['Ping', 5],
    ]);
    expect(result.cascadeCut).toEqual([
      { trigger: 'tag_removed', depth: 6, variables: { tag: 'ping' }, runId: result.matchedRules[5].runId },
    ]);
    const deepest = await t.automations(c).get(`/runs/${result.matchedRules[5].runId}`);
    expect(deepest.body.data.cascadeCut).toEqual([
      { trigger: 'tag_removed', depth: 6, variables: { tag: 'ping' } },
    ]);
    expect(result.lead.tags).toEqual([]);

    const won = await fire(c, {
      trigger: 'form_submitted',
      phone: nextPhone(),
      createLeadIfMissing: true,
      variables: { close: true },
    });
    expect(won.body.data.lead).toMatchObject({ status: 'won' });
    expect(won.body.data.lead.tags).toContain('customer');
    const closeRun = won.body.data.matchedRules.find((run: any) => run.ruleName === 'Won');
    expect(closeRun).toMatchObject({ trigger: 'deal_won', depth: 1 });
  });

  it('fires internal triggers from ordinary CRM activity (durably, through the outbox)', async () => {
    const d = await t.createTenant('eventsd', { defaultCountry: 'IN' });
    await createRule(d, {
      name: 'Qualified note',
      trigger: 'lead_status_changed',
      conditions: [{ field: 'variables.to', op: 'eq', value: 'qualified' }],
      actions: [{ type: 'add_note', body: 'Qualified (was {{from}})' }],
    });
    await createRule(d, {
      name: 'Welcome',
      trigger: 'lead_created',
      actions: [{ type: 'add_tag', tag: 'new' }],
    });
    const created = await t.crm(d).post('/leads', { name: 'Zoya', phone: nextPhone(), assign: false });
    const id = created.body.data.lead.id;
    await expect
      .poll(async () => (await t.crm(d).get(`/leads/${id}`)).body.data.tags, { timeout: 15_000 })
      .toEqual(['new']);
    await t.crm(d).patch(`/leads/${id}`, { status: 'qualified' });
    await expect
      .poll(
        async () => (await t.crm(d).get(`/leads/${id}/notes`)).body.data.items.map((note: any) => note.body),
        {
          timeout: 15_000,
        },
      )
      .toEqual(['Qualified (was new)']);
    const runs = await t.automations(d).get('/runs?trigger=lead_status_changed');
    expect(runs.body.data.items).toHaveLength(1);
    expect((await t.automations(d).get(`/runs/${runs.body.data.items[0].id}`)).body.data.event.source).toBe(
      'internal',
    );
  });

  it('delays actions after a wait: external ones get a later runAt, internal ones resume in a job, once', async () => {
    const rule = await createRule(a, {
      name: 'Later',
      trigger: 'form_submitted',
      conditions: [{ field: 'variables.later', op: 'eq', value: true }],
      actions: [
        { type: 'call_webhook', url: 'http://127.0.0.1:9/now' },
        { type: 'wait', minutes: 30 },
        { type: 'call_webhook', url: 'http://127.0.0.1:9/later' },
        { type: 'add_tag', tag: 'followed-up' },
        { type: 'send_whatsapp_text', text: 'Still interested, {{lead.firstName}}?' },
      ],
    });
    const before = Date.now();
    const res = await fire(a, {
      trigger: 'form_submitted',
      phone: nextPhone(),
      createLeadIfMissing: true,
      leadData: { firstName: 'Isha' },
      variables: { later: true },
    });
    const run = res.body.data.matchedRules.find((match: any) => match.ruleId === rule.id);
    expect(run.status).toBe('waiting');
    const jobs = res.body.data.jobs.filter((job: any) => job.runId === run.runId);
    expect(jobs.map((job: any) => job.kind)).toEqual([
      'automation.call_webhook',
      'automation.call_webhook',
      resumeRunJobKind,
    ]);
    expect(Date.parse(jobs[0].runAt)).toBeLessThan(before + 60_000);
    expect(Date.parse(jobs[1].runAt)).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(Date.parse(jobs[2].runAt)).toBe(Date.parse(jobs[1].runAt));
    expect(res.body.data.lead.tags).not.toContain('followed-up');

    const stored = (await tenantJobs(t, a.tenant.id)).filter((job) =>
      jobs.some((queued: any) => queued.id === String(job.id)),
    );
    expect(stored.map((job) => [job.kind, job.run_at.toISOString(), job.idempotency_key])).toEqual([
      ['automation.call_webhook', jobs[0].runAt, `automation:${run.runId}:0`],
      ['automation.call_webhook', jobs[1].runAt, `automation:${run.runId}:2`],
      [resumeRunJobKind, jobs[2].runAt, `automation:${run.runId}:resume:3`],
    ]);

    // Thirty minutes pass: the resume job becomes due and a real worker runs it.
    await t.app.services.platform
      .updateTable('jobs')
      .set({ run_at: new Date() })
      .where('id', '=', Number(jobs[2].id))
      .execute();
    const worker = await startWorker(t, [resumeRunJob]);
    try {
      const done = await waitForStatus(t, a.tenant.id, jobs[2].id, 'succeeded');
      expect(done.result).toMatchObject({ resumed: true });
    } finally {
      await worker.stop();
    }
    // A duplicate delivery of the same job continues nothing.
    const ctx = await jobContext(t, a.tenant.id, resumeRunJobKind, stored[2]!.payload as any);
    expect(await resumeRun(ctx)).toEqual({ resumed: false, jobIds: [] });
    const lead = await t.crm(a).get(`/leads/${res.body.data.lead.id}`);
    expect(lead.body.data.tags).toContain('followed-up');
    const after = await t.automations(a).get(`/runs/${run.runId}`);
    expect(after.body.data.status).toBe('succeeded');
    expect(after.body.data.actions.map((action: any) => action.status)).toEqual([
      'queued',
      'applied',
      'queued',
      'applied',
      'queued',
    ]);
    expect(after.body.data.jobIds).toHaveLength(4);
    expect(after.body.data.jobs.find((job: any) => job.id === jobs[2].id)).toMatchObject({
      kind: resumeRunJobKind,
      status: 'succeeded',
      result: { resumed: true },
    });
    // A finished job past its retention is pruned from the queue: the run says so.
    await t.app.services.platform.deleteFrom('jobs').where('id', '=', Number(jobs[2].id)).execute();
    const pruned = await t.automations(a).get(`/runs/${run.runId}`);
    expect(pruned.body.data.jobs.find((job: any) => job.id === jobs[2].id)).toMatchObject({
      status: 'pruned',
      attempts: null,
    });
  });

  it('leaves nothing behind when the transaction fails after a job was enqueued (no job without its run)', async () => {
    const f = await t.createTenant('eventsf', { defaultCountry: 'IN' });
    await createRule(f, {
      name: 'Two hooks',
      trigger: 'form_submitted',
      actions: [
        { type: 'add_tag', tag: 'hooked' },
        { type: 'call_webhook', url: 'http://127.0.0.1:9/one' },
        { type: 'call_webhook', url: 'http://127.0.0.1:9/two' },
      ],
    });
    const queue = t.app.services.queue;
    let calls = 0;
    // The first enqueue goes through (inside the event's transaction), the second fails.
    t.app.services.queue = Object.assign(Object.create(queue), {
      enqueueMany: (...args: Parameters<typeof queue.enqueueMany>) => {
        if (++calls === 2) throw new Error('queue unavailable');
        return queue.enqueueMany(...args);
      },
    });
    const phone = nextPhone();
    try {
      const res = await fire(f, {
        trigger: 'form_submitted',
        phone,
        createLeadIfMissing: true,
        eventId: 'atomic-1',
      });
      expect(res.status).toBe(500);
    } finally {
      t.app.services.queue = queue;
    }
    expect(calls).toBe(2);
    expect(await tenantJobs(t, f.tenant.id)).toEqual([]);
    const handle = await tenantHandle(t, f.tenant.id);
    expect(await handle.db.selectFrom('leads').select('id').execute()).toEqual([]);
    expect(await handle.db.selectFrom('automation_events').select('id').execute()).toEqual([]);
    expect(await handle.db.selectFrom('automation_runs').select('id').execute()).toEqual([]);

    // The same eventId is then handled normally: the failed attempt left no trace to replay.
    const retried = await fire(f, {
      trigger: 'form_submitted',
      phone,
      createLeadIfMissing: true,
      eventId: 'atomic-1',
    });
    expect(retried.body.data).toMatchObject({
      duplicate: false,
      leadCreated: true,
      lead: { tags: ['hooked'] },
    });
    expect((await tenantJobs(t, f.tenant.id)).map((job) => (job.payload as any).url)).toEqual([
      'http://127.0.0.1:9/one',
      'http://127.0.0.1:9/two',
    ]);
  });

  it('lists runs with filters and cursor pagination; another tenant sees none of them', async () => {
    const all = await t.automations(a).get('/runs?limit=200');
    expect(all.body.data.items.length).toBeGreaterThan(3);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.automations(a).get(`/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...page.body.data.items.map((run: any) => run.id));
      cursor = page.body.data.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.body.data.items.map((run: any) => run.id));
    const byTrigger = await t.automations(a).get('/runs?trigger=product_purchased');
    expect(byTrigger.body.data.items.every((run: any) => run.trigger === 'product_purchased')).toBe(true);
    expect((await t.automations(a).get('/runs?cursor=garbage')).status).toBe(400);

    const foreign = all.body.data.items[0].id;
    expect((await t.automations(b).get(`/runs/${foreign}`)).status).toBe(404);
    expect(
      (await t.automations(b).get('/runs?limit=200')).body.data.items.map((run: any) => run.id),
    ).not.toContain(foreign);
  });
});
