import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { fireRottingLeads } from './pipelines.cron.js';

let phoneCounter = 0;
const nextPhone = () => `+1415666${String(++phoneCounter).padStart(4, '0')}`;

describe('pipelines', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let handleA: TenantHandle;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('pipea', { timezone: 'Asia/Kolkata' });
    b = await t.createTenant('pipeb');
    handleA = await tenantHandle(t, a.tenant.id);
  });
  afterAll(() => t?.close());

  const leadPipeline = (tenant: TestTenant, extra: Record<string, unknown> = {}) =>
    t.crm(tenant).post('/pipelines', {
      kind: 'lead',
      name: `Sales ${++phoneCounter}`,
      stages: [
        { name: 'New', leadStatus: 'new', rottingDays: 3 },
        { name: 'Contacted', leadStatus: 'contacted' },
        { name: 'Proposal', probability: 50, requiredFields: ['email', 'customFields.budget'] },
        { name: 'Won', outcome: 'won', probability: 100 },
        { name: 'Lost', outcome: 'lost' },
      ],
      ...extra,
    });
  const newLead = async (tenant: TestTenant, extra: Record<string, unknown> = {}) =>
    dataOf(
      await t.crm(tenant).post('/leads', { name: 'Pipe Lead', phone: nextPhone(), assign: false, ...extra }),
      201,
    ).lead;

  it('creates a pipeline with ordered stages, gets it by uuid and PW- ref, lists it by kind', async () => {
    const pipeline = dataOf(await leadPipeline(a), 201);
    expect(pipeline).toMatchObject({
      kind: 'lead',
      mode: 'forward_only',
      isDefault: false,
      archivedAt: null,
    });
    expect(pipeline.ref).toMatch(/^PW-\d+$/);
    expect(pipeline.stages.map((s: any) => [s.position, s.name])).toEqual([
      [1, 'New'],
      [2, 'Contacted'],
      [3, 'Proposal'],
      [4, 'Won'],
      [5, 'Lost'],
    ]);
    expect(dataOf(await t.crm(a).get(`/pipelines/${pipeline.ref}`)).id).toBe(pipeline.id);
    expect(dataOf(await t.crm(a).get(`/pipelines/${pipeline.id}`)).ref).toBe(pipeline.ref);
    const leads = dataOf(await t.crm(a).get('/pipelines?kind=lead'));
    expect(leads.items.map((p: any) => p.id)).toContain(pipeline.id);
    expect(dataOf(await t.crm(a).get('/pipelines?kind=deal')).items).toEqual([]);
    // Bad ids are 404, not 500.
    for (const id of ['PW-999999', '00000000-0000-4000-8000-000000000000']) {
      expect((await t.crm(a).get(`/pipelines/${id}`)).status).toBe(404);
    }
    expect((await t.crm(a).get('/pipelines/nope')).status).toBe(400);
  });

  it('refuses bad stages: unknown required field (named), lead status outside lead pipelines, unknown fields, no stage', async () => {
    const bad = await t.crm(a).post('/pipelines', {
      kind: 'contact',
      name: 'Bad',
      stages: [{ name: 'A' }, { name: 'B', requiredFields: ['email', 'amount'] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      expect.objectContaining({
        path: 'body.stages.1.requiredFields.1',
        message: expect.stringContaining('amount'),
      }),
    ]);
    const status = await t.crm(a).post('/pipelines', {
      kind: 'deal',
      name: 'Bad',
      stages: [{ name: 'A', leadStatus: 'won' }],
    });
    expect(status.status).toBe(400);
    expect(status.body.error.details[0].path).toBe('body.stages.0.leadStatus');
    const wrongStatus = await t.crm(a).post('/pipelines', {
      kind: 'lead',
      name: 'Bad',
      stages: [{ name: 'A', leadStatus: 'hot' }],
    });
    expect(wrongStatus.status).toBe(400);
    expect((await t.crm(a).post('/pipelines', { kind: 'lead', name: 'Bad', stages: [] })).status).toBe(400);
    expect(
      (
        await t
          .crm(a)
          .post('/pipelines', { kind: 'lead', name: 'Bad', stages: [{ name: 'A' }], colour: 'red' })
      ).status,
    ).toBe(400);
  });

  it('one default per kind: setting one unsets the previous; patch, archive', async () => {
    const first = dataOf(
      await leadPipeline(a, { kind: 'contact', isDefault: true, stages: [{ name: 'One' }, { name: 'Two' }] }),
      201,
    );
    const second = dataOf(await leadPipeline(a, { kind: 'contact', stages: [{ name: 'Only' }] }), 201);
    const patched = dataOf(
      await t.crm(a).patch(`/pipelines/${second.ref}`, { isDefault: true, mode: 'free' }),
    );
    expect(patched).toMatchObject({ isDefault: true, mode: 'free' });
    expect(dataOf(await t.crm(a).get(`/pipelines/${first.id}`)).isDefault).toBe(false);
    const archived = dataOf(await t.crm(a).delete(`/pipelines/${second.id}`));
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.isDefault).toBe(false);
    expect(dataOf(await t.crm(a).get('/pipelines?kind=contact')).items.map((p: any) => p.id)).not.toContain(
      second.id,
    );
    expect(
      dataOf(await t.crm(a).get('/pipelines?kind=contact&archived=true')).items.map((p: any) => p.id),
    ).toContain(second.id);
    expect((await t.crm(a).patch(`/pipelines/${second.id}`, { name: 'Again' })).status).toBe(409);
  });

  it('adds, patches, reorders and deletes stages (a used stage is 409)', async () => {
    const pipeline = dataOf(await leadPipeline(a, { mode: 'free' }), 201);
    const [n, c, p] = pipeline.stages;
    let now = dataOf(
      await t.crm(a).post(`/pipelines/${pipeline.id}/stages`, { name: 'Demo', position: 2 }),
      201,
    );
    expect(now.stages.map((s: any) => s.name)).toEqual([
      'New',
      'Demo',
      'Contacted',
      'Proposal',
      'Won',
      'Lost',
    ]);
    const demo = now.stages[1];
    now = dataOf(
      await t
        .crm(a)
        .patch(`/pipelines/${pipeline.id}/stages/${demo.id}`, { rottingDays: 7, requiredFields: ['city'] }),
    );
    expect(now.stages[1]).toMatchObject({ rottingDays: 7, requiredFields: ['city'] });
    expect(
      (await t.crm(a).patch(`/pipelines/${pipeline.id}/stages/${demo.id}`, { requiredFields: ['nope'] }))
        .status,
    ).toBe(400);
    const order = [p.id, demo.id, n.id, c.id, ...pipeline.stages.slice(3).map((s: any) => s.id)];
    now = dataOf(await t.crm(a).put(`/pipelines/${pipeline.id}/stages`, { stageIds: order }));
    expect(now.stages.map((s: any) => s.id)).toEqual(order);
    expect(now.stages.map((s: any) => s.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      (await t.crm(a).put(`/pipelines/${pipeline.id}/stages`, { stageIds: order.slice(1) })).status,
    ).toBe(400);
    // A stage a lead is in (or was) cannot go; an unused one can.
    const lead = await newLead(a);
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: n.id }));
    const used = await t.crm(a).delete(`/pipelines/${pipeline.id}/stages/${n.id}`);
    expect(used.status).toBe(409);
    expect(used.body.error.code).toBe('conflict');
    now = dataOf(await t.crm(a).delete(`/pipelines/${pipeline.id}/stages/${demo.id}`));
    expect(now.stages.map((s: any) => s.position)).toEqual([1, 2, 3, 4, 5]);
    expect((await t.crm(a).delete(`/pipelines/${pipeline.id}/stages/${demo.id}`)).status).toBe(404);
  });

  it('forward-only: a backward move is 409, a forward move succeeds; the status follows the stage', async () => {
    const pipeline = dataOf(await leadPipeline(a), 201);
    const [n, c, p, won] = pipeline.stages;
    const lead = await newLead(a, { email: 'x@acme.io' });
    const first = dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: n.id }));
    expect(first.lead).toMatchObject({ pipelineId: pipeline.id, stageId: n.id, status: 'new' });
    const moved = dataOf(await t.crm(a).post(`/leads/${lead.ref}/stage`, { stageId: c.id }));
    expect(moved).toMatchObject({ moved: true, lead: { stageId: c.id, status: 'contacted' } });
    expect(moved.lead.stageEnteredAt).toEqual(expect.any(String));
    const back = await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: n.id });
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('backward_stage_move');
    // Required fields: 409 naming the missing ones.
    const missing = await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: p.id });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatchObject({
      code: 'required_fields_missing',
      details: { missing: ['customFields.budget'] },
    });
    // Won needs a reason; then reopening needs reopen + reason.
    const noReason = await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: won.id });
    expect(noReason.status).toBe(400);
    const isWon = dataOf(
      await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: won.id, reason: 'signed' }),
    );
    expect(isWon.lead.status).toBe('won');
    const reopen = await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: c.id, reason: 'oops' });
    expect(reopen.status).toBe(409);
    expect(reopen.body.error.code).toBe('reopen_required');
    const reopened = dataOf(
      await t
        .crm(a)
        .post(`/leads/${lead.id}/stage`, { stageId: c.id, reopen: true, reason: 'signed by mistake' }),
    );
    expect(reopened.lead.status).toBe('contacted');
    // PATCH of the status of a lead in a pipeline: 409, with the hint.
    const patch = await t.crm(a).patch(`/leads/${lead.id}`, { status: 'qualified' });
    expect(patch.status).toBe(409);
    expect(patch.body.error.details.hint).toContain('/stage');
    expect(dataOf(await t.crm(a).patch(`/leads/${lead.id}`, { city: 'Pune' })).city).toBe('Pune');
    // The activity log has the moves and the status changes.
    const activity = dataOf(await t.crm(a).get(`/leads/${lead.id}/activity?limit=100`)).items as any[];
    const kinds = activity.map((entry) => entry.kind ?? entry.type);
    expect(kinds.filter((kind) => kind === 'stage_changed')).toHaveLength(4);
    // The history: entries in order, durations, time in stage.
    const history = dataOf(await t.crm(a).get(`/leads/${lead.id}/stages`));
    expect(history.entries.map((e: any) => e.stage)).toEqual(['New', 'Contacted', 'Won', 'Contacted']);
    expect(history.entries.filter((e: any) => e.exitedAt === null)).toHaveLength(1);
    expect(history.entries[2]).toMatchObject({ reason: 'signed', actor: { type: 'api_key' } });
    expect(history.timeInStage.map((s: any) => [s.stage, s.entries])).toEqual([
      ['New', 1],
      ['Contacted', 2],
      ['Won', 1],
    ]);
  });

  it('free pipelines allow moves both ways', async () => {
    const pipeline = dataOf(await leadPipeline(a, { mode: 'free' }), 201);
    const [n, c] = pipeline.stages;
    const lead = await newLead(a);
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: c.id }));
    const back = dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: n.id }));
    expect(back.lead).toMatchObject({ stageId: n.id, status: 'new' });
    // The same stage again: nothing written.
    expect(dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: n.id })).moved).toBe(false);
  });

  it('fires stage_changed in the move', async () => {
    dataOf(
      await t.automations(a).post('/rules', {
        name: 'On stage',
        trigger: 'stage_changed',
        actions: [{ type: 'add_tag', tag: 'staged' }],
      }),
      201,
    );
    const pipeline = dataOf(await leadPipeline(a), 201);
    const lead = await newLead(a);
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[1].id }));
    expect(dataOf(await t.crm(a).get(`/leads/${lead.id}`)).tags).toContain('staged');
    const events = await handleA.db
      .selectFrom('automation_events')
      .select(['trigger', 'variables'])
      .where('trigger', '=', 'stage_changed')
      .execute();
    expect(events.map((e) => e.variables)).toContainEqual(
      expect.objectContaining({ kind: 'lead', recordId: lead.id, toStage: 'Contacted', fromStageId: null }),
    );
  });

  it('moves contacts: history, visibility 404, stage kind must match', async () => {
    const pipeline = dataOf(
      await leadPipeline(a, { kind: 'contact', stages: [{ name: 'Met' }, { name: 'Quoted' }] }),
      201,
    );
    const contact = dataOf(await t.crm(a).post('/contacts', { firstName: 'Con', phone: nextPhone() }), 201);
    const moved = dataOf(
      await t.crm(a).post(`/contacts/${contact.id}/stage`, { stageId: pipeline.stages[0].id }),
    );
    expect(moved).toMatchObject({ moved: true, pipelineId: pipeline.id, stageId: pipeline.stages[0].id });
    dataOf(await t.crm(a).post(`/contacts/${contact.id}/stage`, { stageId: pipeline.stages[1].id }));
    const back = await t.crm(a).post(`/contacts/${contact.id}/stage`, { stageId: pipeline.stages[0].id });
    expect(back.body.error.code).toBe('backward_stage_move');
    const history = dataOf(await t.crm(a).get(`/contacts/${contact.id}/stages`));
    expect(history.entries.map((e: any) => e.stage)).toEqual(['Met', 'Quoted']);
    // The contact answers where it stands.
    expect(dataOf(await t.crm(a).get(`/contacts/${contact.id}`))).toMatchObject({
      pipelineId: pipeline.id,
      stageId: pipeline.stages[1].id,
      stageEnteredAt: expect.any(String),
      pipelineClosedAt: null,
    });
    // A lead stage for a contact: 404 (no such stage of a contact pipeline).
    const leadStages = dataOf(await leadPipeline(a), 201).stages;
    expect((await t.crm(a).post(`/contacts/${contact.id}/stage`, { stageId: leadStages[0].id })).status).toBe(
      404,
    );
    // An agent who does not see the contact: 404.
    const agent = dataOf(await t.crm(a).post('/agents', { name: 'Agent Pipe' }), 201);
    const user = {
      crm: tenantClient(
        t.request,
        '/api/crm',
        (await addTestUser(t, a, { role: 'agent', agentId: agent.id })).headers,
      ),
    };
    expect(
      (await user.crm.post(`/contacts/${contact.id}/stage`, { stageId: pipeline.stages[1].id })).status,
    ).toBe(404);
    expect((await user.crm.get(`/contacts/${contact.id}/stages`)).status).toBe(404);
  });

  it("an agent: 404 on a lead they do not see, 403 writing one they see but their write doesn't reach", async () => {
    const pipeline = dataOf(await leadPipeline(a), 201);
    const agent = dataOf(await t.crm(a).post('/agents', { name: 'Agent Own' }), 201);
    const user = {
      crm: tenantClient(
        t.request,
        '/api/crm',
        (await addTestUser(t, a, { role: 'agent', agentId: agent.id })).headers,
      ),
    };
    const other = await newLead(a);
    expect((await user.crm.post(`/leads/${other.id}/stage`, { stageId: pipeline.stages[0].id })).status).toBe(
      404,
    );
    expect((await user.crm.get(`/leads/${other.id}/stages`)).status).toBe(404);
    const own = await newLead(a, { assignedAgentId: agent.id });
    expect(
      dataOf(await user.crm.post(`/leads/${own.id}/stage`, { stageId: pipeline.stages[0].id })).moved,
    ).toBe(true);
    // Pipelines are read by anyone with leads.read; written with settings.manage only.
    expect(dataOf(await user.crm.get(`/pipelines/${pipeline.id}`)).id).toBe(pipeline.id);
    expect((await user.crm.patch(`/pipelines/${pipeline.id}`, { name: 'Mine' })).status).toBe(403);
  });

  it("isolation: tenant B cannot read or move tenant A's pipelines and leads (404)", async () => {
    const pipeline = dataOf(await leadPipeline(a), 201);
    const lead = await newLead(a);
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[0].id }));
    expect((await t.crm(b).get(`/pipelines/${pipeline.id}`)).status).toBe(404);
    expect((await t.crm(b).get(`/pipelines/${pipeline.ref}`)).status).toBe(404);
    expect((await t.crm(b).patch(`/pipelines/${pipeline.id}`, { name: 'Stolen' })).status).toBe(404);
    expect((await t.crm(b).get(`/leads/${lead.id}/stages`)).status).toBe(404);
    expect((await t.crm(b).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[1].id })).status).toBe(
      404,
    );
    // B's own lead, A's stage: no such stage in B.
    const leadB = await newLead(b);
    expect((await t.crm(b).post(`/leads/${leadB.id}/stage`, { stageId: pipeline.stages[1].id })).status).toBe(
      404,
    );
    expect(dataOf(await t.crm(a).get(`/leads/${lead.id}`)).stageId).toBe(pipeline.stages[0].id);
  });

  it('the append-only trigger refuses rewriting an entry', async () => {
    const pipeline = dataOf(await leadPipeline(a, { mode: 'free' }), 201);
    const lead = await newLead(a);
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[0].id }));
    dataOf(await t.crm(a).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[1].id }));
    const [closed, open] = await handleA.db
      .selectFrom('stage_history')
      .selectAll()
      .where('record_id', '=', lead.id)
      .orderBy('id')
      .execute();
    const rewrite = (set: Record<string, unknown>, id: string) =>
      handleA.db.updateTable('stage_history').set(set).where('id', '=', id).execute();
    await expect(rewrite({ reason: 'rewritten' }, closed!.id)).rejects.toThrow(/append-only/);
    await expect(rewrite({ exited_at: new Date() }, closed!.id)).rejects.toThrow(/append-only/);
    await expect(
      rewrite({ stage_id: pipeline.stages[2].id, exited_at: new Date() }, open!.id),
    ).rejects.toThrow(/append-only/);
  });

  it('a new lead enters the default lead pipeline (single ingest and batch), with a history entry', async () => {
    const c = await t.createTenant('pipec');
    const before = await newLead(c);
    expect(before).toMatchObject({ pipelineId: null, stageId: null, stageEnteredAt: null });
    const pipeline = dataOf(
      await t.crm(c).post('/pipelines', {
        kind: 'lead',
        name: 'Inbound',
        isDefault: true,
        stages: [{ name: 'Fresh', leadStatus: 'contacted' }, { name: 'Next' }],
      }),
      201,
    );
    const single = await newLead(c);
    expect(single).toMatchObject({
      pipelineId: pipeline.id,
      stageId: pipeline.stages[0].id,
      status: 'contacted',
    });
    const assigned = dataOf(await t.crm(c).post('/leads', { name: 'Routed', phone: nextPhone() }), 201).lead;
    expect(assigned.stageId).toBe(pipeline.stages[0].id);
    // A CSV import goes through the batch ingest: one multi-row insert, one history statement.
    const csv = ['name,phone', ...Array.from({ length: 5 }, (_, i) => `Csv ${i},${nextPhone()}`)].join('\n');
    const imported = await t.request<any>('/api/crm/leads/import?mode=sync&assign=false', {
      method: 'POST',
      headers: { ...c.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status, imported.text).toBe(200);
    expect(imported.body.data).toMatchObject({ rows: 5, created: 5 });
    const handle = await tenantHandle(t, c.tenant.id);
    const rows = await handle.db
      .selectFrom('leads')
      .leftJoin('stage_history', (join) =>
        join.onRef('stage_history.record_id', '=', 'leads.id').on('stage_history.exited_at', 'is', null),
      )
      .select([
        'leads.id',
        'leads.stage_id',
        'leads.stage_entered_at',
        'stage_history.entered_at',
        'stage_history.stage_id as entry_stage',
      ])
      .where('leads.id', '<>', before.id)
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) {
      expect(row.stage_id).toBe(pipeline.stages[0].id);
      expect(row.entry_stage).toBe(pipeline.stages[0].id);
      expect(row.entered_at).toEqual(row.stage_entered_at);
    }
    // The old lead stays out; its status is still free to change.
    expect(dataOf(await t.crm(c).patch(`/leads/${before.id}`, { status: 'qualified' })).status).toBe(
      'qualified',
    );
    // The default archived: new leads enter no pipeline.
    dataOf(await t.crm(c).delete(`/pipelines/${pipeline.id}`));
    expect((await newLead(c)).stageId).toBeNull();
  });

  it('rotting: list filters and the daily lead_rotting trigger, once per lead per tenant day', async () => {
    const c = await t.createTenant('piped', { timezone: 'Asia/Kolkata' });
    const handle = await tenantHandle(t, c.tenant.id);
    dataOf(
      await t.automations(c).post('/rules', {
        name: 'Rotting',
        trigger: 'lead_rotting',
        actions: [{ type: 'add_tag', tag: 'rotting' }],
      }),
      201,
    );
    const pipeline = dataOf(
      await t.crm(c).post('/pipelines', {
        kind: 'lead',
        name: 'Rot',
        stages: [{ name: 'Slow', rottingDays: 2 }, { name: 'Fresh' }],
      }),
      201,
    );
    const stale = await newLead(c);
    const fresh = await newLead(c);
    const other = await newLead(c);
    for (const lead of [stale, fresh]) {
      dataOf(await t.crm(c).post(`/leads/${lead.id}/stage`, { stageId: pipeline.stages[0].id }));
    }
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    // Back-date the stale lead's stage entry and activity (the test's clock).
    await handle.db
      .updateTable('leads')
      .set({ stage_entered_at: threeDaysAgo, last_activity_at: threeDaysAgo })
      .where('id', '=', stale.id)
      .execute();
    const ids = async (url: string) => dataOf(await t.crm(c).get(url)).items.map((l: any) => l.id);
    expect(await ids('/leads?rotting=true')).toEqual([stale.id]);
    expect((await ids('/leads?rotting=false')).sort()).toEqual([fresh.id, other.id].sort());
    // Activity after the stage entry counts: not rotting any more.
    const contact = dataOf(await t.crm(c).post('/contacts', { firstName: 'Rot', phone: nextPhone() }), 201);
    const contactPipeline = dataOf(
      await t
        .crm(c)
        .post('/pipelines', { kind: 'contact', name: 'C', stages: [{ name: 'Slow', rottingDays: 1 }] }),
      201,
    );
    dataOf(await t.crm(c).post(`/contacts/${contact.id}/stage`, { stageId: contactPipeline.stages[0].id }));
    await handle.db
      .updateTable('contacts')
      .set({ stage_entered_at: threeDaysAgo, updated_at: threeDaysAgo })
      .where('id', '=', contact.id)
      .execute();
    const contactIds = async (url: string) => dataOf(await t.crm(c).get(url)).items.map((x: any) => x.id);
    expect(await contactIds('/contacts?rotting=true')).toEqual([contact.id]);
    expect(await contactIds('/contacts?rotting=false')).not.toContain(contact.id);

    // The cron task with a chosen clock: fires for the stale lead only, once per tenant day.
    const tick = new Date();
    expect(await fireRottingLeads(t.app.services, handle, tick)).toBe(1);
    expect(await fireRottingLeads(t.app.services, handle, tick)).toBe(0);
    expect(dataOf(await t.crm(c).get(`/leads/${stale.id}`)).tags).toContain('rotting');
    const keys = await handle.db
      .selectFrom('automation_events')
      .select('event_key')
      .where('trigger', '=', 'lead_rotting')
      .execute();
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(tick);
    expect(keys.map((k) => k.event_key)).toEqual([`lead_rotting:${stale.id}:${day}`]);
    // The rule's action is activity: the lead is fresh again. Back-dated again, the next tenant day fires again.
    expect(await ids('/leads?rotting=true')).toEqual([]);
    await handle.db
      .updateTable('leads')
      .set({ stage_entered_at: threeDaysAgo, last_activity_at: threeDaysAgo })
      .where('id', '=', stale.id)
      .execute();
    expect(await fireRottingLeads(t.app.services, handle, new Date(tick.getTime() + 86_400_000))).toBe(1);
    const later = new Date(tick.getTime() + 5 * 86_400_000);
    expect(await fireRottingLeads(t.app.services, handle, later)).toBe(2);
  });
});
