import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestDealPipeline, type TestPipeline } from '../testing/pipelines.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { fireRottingDeals } from './deal-rotting.cron.js';

describe('deals', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let key: TenantClient;
  let db: TenantDb;
  let pipeline: TestPipeline;
  let phone = 0;
  const nextPhone = () => `+1415666${String(++phone).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', RATE_LIMIT_MAX: '1000000' });
    tenant = await t.createTenant();
    key = t.crm(tenant);
    db = (await tenantHandle(t, tenant.tenant.id)).db;
    pipeline = await addTestDealPipeline(t, tenant, { isDefault: true, name: 'Main' });
  }, 120_000);
  afterAll(() => t?.close());

  const newDeal = async (body: Record<string, unknown> = {}) =>
    dataOf(await key.post('/deals', { title: 'A deal', amount: 1000, currency: 'EUR', ...body }), 201);
  const move = (id: string, body: Record<string, unknown>) => key.post(`/deals/${id}/stage`, body);

  it('refuses a deal without a pipeline when the tenant has no default one (400)', async () => {
    const other = await t.createTenant();
    const res = await t.crm(other).post('/deals', { title: 'x', currency: 'EUR' });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it("creates a deal in the default pipeline's first stage, reads it by D-n, changes and deletes it with its history", async () => {
    const deal = await newDeal({ tags: ['big', 'big', 'q4'], expectedCloseDate: '2030-03-01' });
    expect(deal).toMatchObject({
      ref: expect.stringMatching(/^D-\d+$/),
      pipeline: { id: pipeline.id, name: 'Main' },
      stage: { id: pipeline.stages.Lead, position: 1 },
      amount: 1000,
      currency: 'EUR',
      probability: 10,
      probabilityOverridden: false,
      status: 'open',
      tags: ['big', 'q4'],
      expectedCloseDate: '2030-03-01',
      ownerId: null,
    });
    expect(dataOf(await key.get(`/deals/${deal.ref}`)).id).toBe(deal.id);
    const patched = dataOf(
      await key.patch(`/deals/${deal.id}`, { amount: 2500, probability: 55, title: 'Bigger' }),
    );
    expect(patched).toMatchObject({
      amount: 2500,
      probability: 55,
      probabilityOverridden: true,
      title: 'Bigger',
    });
    const activity = dataOf(await key.get(`/deals/${deal.id}/activity`)).items;
    expect(activity.map((a: any) => a.kind)).toEqual(['updated', 'created']);
    expect(activity[0]).toMatchObject({
      actorType: 'api_key',
      data: { fields: ['title', 'amount', 'probability'] },
    });
    // A stage change is not a PATCH.
    expect((await key.patch(`/deals/${deal.id}`, { stageId: pipeline.stages.Qualified })).status).toBe(400);

    expect(dataOf(await key.delete(`/deals/${deal.ref}`))).toEqual({ id: deal.id, deleted: true });
    expect((await key.get(`/deals/${deal.id}`)).status).toBe(404);
    const history = await db
      .selectFrom('stage_history')
      .select('id')
      .where('record_kind', '=', 'deal')
      .where('record_id', '=', deal.id)
      .execute();
    expect(history).toEqual([]);
  });

  it("applies the entry stage's required fields (409) and refuses a lead or contact the caller cannot name", async () => {
    const strict = await addTestDealPipeline(t, tenant, {
      stages: [{ name: 'Priced', requiredFields: ['amount', 'expectedCloseDate'] }, { name: 'Done' }],
    });
    const res = await key.post('/deals', { title: 'x', currency: 'EUR', pipelineId: strict.id });
    expect(res.status, res.text).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'required_fields_missing',
      details: { missing: ['amount', 'expectedCloseDate'] },
    });
    expect(
      (
        await key.post('/deals', {
          title: 'x',
          currency: 'EUR',
          amount: 5,
          expectedCloseDate: '2030-01-01',
          pipelineId: strict.id,
        })
      ).status,
    ).toBe(201);
    expect(
      (await key.post('/deals', { title: 'x', currency: 'EUR', leadId: crypto.randomUUID() })).status,
    ).toBe(404);
    expect(
      (
        await key.post('/deals', {
          title: 'x',
          currency: 'EUR',
          stageId: pipeline.stages.Qualified,
          pipelineId: strict.id,
        })
      ).status,
    ).toBe(400);
    // A won stage is entered by a move, with a reason.
    expect(
      (await key.post('/deals', { title: 'x', currency: 'EUR', stageId: pipeline.stages.Won })).status,
    ).toBe(400);
  });

  it('answers invalid input with a 400 envelope, never a 500', async () => {
    for (const body of [
      { title: 'x', currency: 'EUR', amount: -1 },
      { title: 'x', currency: 'eur' },
      { title: 'x', currency: 'EURO' },
      { title: 'x', currency: 'EUR', amount: 1.5 },
      { title: 'x', currency: 'EUR', colour: 'red' },
      { title: '', currency: 'EUR' },
      { title: 'x', currency: 'EUR', probability: 101 },
      { title: 'x', currency: 'EUR', expectedCloseDate: '2030-02-30' },
    ]) {
      const res = await key.post('/deals', body);
      expect(res.status, JSON.stringify(body) + res.text).toBe(400);
      expect(res.body).toMatchObject({ success: false, error: { code: 'validation_failed' } });
    }
    expect((await key.get('/deals?amountMin=-3')).status).toBe(400);
    expect((await key.get('/deals?sort=title')).status).toBe(400);
    expect((await key.get('/deals?cursor=abc')).status).toBe(400);
    expect((await key.get('/deals/D-x')).status).toBe(400);
    expect((await key.get('/deals/D-99999999')).status).toBe(404);
  });

  it('moves forward, refuses a backward move (409), closes won with a reason, reopens only with reopen', async () => {
    const deal = await newDeal({ probability: null });
    const forward = dataOf(await move(deal.id, { stageId: pipeline.stages.Proposal }));
    expect(forward).toMatchObject({
      stage: { id: pipeline.stages.Proposal },
      probability: 60,
      status: 'open',
    });
    const back = await move(deal.id, { stageId: pipeline.stages.Qualified });
    expect(back.status, back.text).toBe(409);
    expect(back.body.error.code).toBe('backward_stage_move');
    expect((await move(deal.id, { stageId: pipeline.stages.Won })).status).toBe(400); // no reason
    const won = dataOf(await move(deal.id, { stageId: pipeline.stages.Won, reason: 'signed' }));
    expect(won).toMatchObject({ status: 'won', closeReason: 'signed', probability: 100 });
    expect(won.closedAt).not.toBeNull();
    const notReopened = await move(deal.id, { stageId: pipeline.stages.Proposal, reason: 'oops' });
    expect(notReopened.status).toBe(409);
    expect(notReopened.body.error.code).toBe('reopen_required');
    expect(dataOf(await key.post(`/deals/${deal.id}/status`, { status: 'closed' })).status).toBe('closed');
    const reopened = dataOf(
      await move(deal.id, { stageId: pipeline.stages.Proposal, reason: 'they came back', reopen: true }),
    );
    expect(reopened).toMatchObject({ status: 'open', closedAt: null, closeReason: null });
    // closed / order_created only from won.
    const refused = await key.post(`/deals/${deal.id}/status`, { status: 'order_created' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('invalid_status_transition');
    const lost = dataOf(await move(deal.id, { stageId: pipeline.stages.Lost, reason: 'price' }));
    expect(lost).toMatchObject({ status: 'lost', closeReason: 'price', probability: 0 });

    const stages = dataOf(await key.get(`/deals/${deal.ref}/stages`));
    expect(stages.entries.map((e: any) => e.stage.name)).toEqual([
      'Lead',
      'Proposal',
      'Won',
      'Proposal',
      'Lost',
    ]);
    expect(stages.entries.filter((e: any) => e.exitedAt === null)).toHaveLength(1);
    expect(stages.entries[2].reason).toBe('signed');
    const proposal = stages.timeInStage.find((s: any) => s.stage.name === 'Proposal');
    expect(proposal.entries).toBe(2);
    const sum = stages.timeInStage.reduce((total: number, s: any) => total + s.seconds, 0);
    const durations = stages.entries.reduce((total: number, e: any) => total + e.durationSeconds, 0);
    expect(sum).toBeCloseTo(durations, 6);

    const kinds = dataOf(await key.get(`/deals/${deal.id}/activity?limit=3`));
    expect(kinds.items.map((a: any) => a.kind)).toEqual(['stage_changed', 'stage_changed', 'status_changed']);
    expect(kinds.nextCursor).not.toBeNull();
    const rest = dataOf(await key.get(`/deals/${deal.id}/activity?limit=10&cursor=${kinds.nextCursor}`));
    expect(rest.items.map((a: any) => a.kind)).toEqual(['stage_changed', 'stage_changed', 'created']);
  });

  it('keeps notes, newest first, in cursor pages', async () => {
    const deal = await newDeal();
    for (const body of ['one', 'two', 'three']) {
      expect(dataOf(await key.post(`/deals/${deal.id}/notes`, { body }), 201)).toMatchObject({
        body,
        dealId: deal.id,
        authorType: 'api_key',
      });
    }
    const first = dataOf(await key.get(`/deals/${deal.id}/notes?limit=2`));
    expect(first.items.map((n: any) => n.body)).toEqual(['three', 'two']);
    const second = dataOf(await key.get(`/deals/${deal.id}/notes?limit=2&cursor=${first.nextCursor}`));
    expect(second.items.map((n: any) => n.body)).toEqual(['one']);
    expect(second.nextCursor).toBeNull();
  });

  it("fires stage_changed and deal_won in the move's transaction, with the deal's lead", async () => {
    const automations = t.automations(tenant);
    for (const trigger of ['stage_changed', 'deal_won']) {
      dataOf(
        await automations.post('/rules', {
          name: `on ${trigger}`,
          trigger,
          actions: [{ type: 'add_tag', tag: trigger }],
        }),
        201,
      );
    }
    const { lead } = dataOf(
      await key.post('/leads', { name: 'Deal Lead', phone: nextPhone(), assign: false }),
      201,
    );
    const deal = await newDeal({ leadId: lead.id, amount: 4200, currency: 'USD', title: 'Trigger deal' });
    dataOf(await move(deal.id, { stageId: pipeline.stages.Won, reason: 'yes' }));
    const events = await db
      .selectFrom('automation_events')
      .select(['trigger', 'lead_id', 'variables', 'source'])
      .where('lead_id', '=', lead.id)
      .orderBy('created_at')
      .execute();
    expect(events.map((e) => e.trigger)).toEqual(['stage_changed', 'deal_won']);
    expect(events[0]!.variables).toMatchObject({
      kind: 'deal',
      recordId: deal.id,
      pipelineId: pipeline.id,
      fromStage: 'Lead',
      toStage: 'Won',
      toStageId: pipeline.stages.Won,
      reason: 'yes',
    });
    expect(events[1]!.variables).toMatchObject({
      dealId: deal.id,
      dealRef: deal.ref,
      title: 'Trigger deal',
      amount: 4200,
      currency: 'USD',
      reason: 'yes',
      fromStage: 'Lead',
      toStage: 'Won',
    });
    expect(dataOf(await key.get(`/leads/${lead.id}`)).tags).toEqual(
      expect.arrayContaining(['stage_changed', 'deal_won']),
    );
  });

  it("emits deal.created, deal.updated and deal.stage_changed to the owner's rooms", async () => {
    const agent = dataOf(await key.post('/agents', { name: 'Realtime Agent', dailyLimit: 5 }), 201).id;
    const emit = vi.spyOn(t.app.services.realtime, 'emitForLead');
    try {
      const deal = await newDeal({ ownerId: agent });
      await key.patch(`/deals/${deal.id}`, { amount: 7 });
      await move(deal.id, { stageId: pipeline.stages.Qualified });
      const calls = emit.mock.calls.filter(([, owner]) => owner === agent);
      expect(calls.map(([tenantId, , event]) => [tenantId, event])).toEqual([
        [tenant.tenant.id, 'deal.created'],
        [tenant.tenant.id, 'deal.updated'],
        [tenant.tenant.id, 'deal.stage_changed'],
      ]);
      expect(calls[2]![3]).toMatchObject({
        deal: { id: deal.id },
        from: { name: 'Lead' },
        to: { name: 'Qualified' },
      });
    } finally {
      emit.mockRestore();
    }
  });

  it("closes the contact's pipeline when a deal is created for it", async () => {
    const contactPipeline = await db
      .insertInto('pipelines')
      .values({ kind: 'contact', name: 'Contacts' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stage = await db
      .insertInto('pipeline_stages')
      .values({ pipeline_id: contactPipeline.id, position: 1, name: 'New' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const contact = await db
      .insertInto('contacts')
      .values({ first_name: 'Con', phone: nextPhone(), pipeline_id: contactPipeline.id, stage_id: stage.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('stage_history')
      .values({
        record_kind: 'contact',
        record_id: contact.id,
        pipeline_id: contactPipeline.id,
        stage_id: stage.id,
      })
      .execute();
    const deal = await newDeal({ contactId: contact.id });
    expect(deal.contactId).toBe(contact.id);
    const after = await db
      .selectFrom('contacts')
      .select('pipeline_closed_at')
      .where('id', '=', contact.id)
      .executeTakeFirstOrThrow();
    expect(after.pipeline_closed_at).not.toBeNull();
    const open = await db
      .selectFrom('stage_history')
      .select('id')
      .where('record_kind', '=', 'contact')
      .where('record_id', '=', contact.id)
      .where('exited_at', 'is', null)
      .execute();
    expect(open).toEqual([]);
  });

  it('converts a lead into a contact and a deal in one step (without a body: as before)', async () => {
    const agent = dataOf(await key.post('/agents', { name: 'Converter', dailyLimit: 5 }), 201).id;
    const qualified = async () => {
      const { lead } = dataOf(
        await key.post('/leads', { name: 'Conv Ert', phone: nextPhone(), assignedAgentId: agent }),
        201,
      );
      dataOf(await key.patch(`/leads/${lead.id}`, { status: 'qualified' }));
      return lead;
    };
    const plain = await qualified();
    const before = dataOf(await key.post(`/leads/${plain.id}/convert`), 201);
    expect(before.deal).toBeNull();
    expect(before.contact.leadId ?? before.lead.contactId).toBeTruthy();

    const lead = await qualified();
    const converted = dataOf(
      await key.post(`/leads/${lead.id}/convert`, { deal: { amount: 99_900, currency: 'INR' } }),
      201,
    );
    expect(converted.deal).toMatchObject({
      title: 'Conv Ert',
      leadId: lead.id,
      contactId: converted.contact.id,
      ownerId: agent,
      amount: 99_900,
      currency: 'INR',
      stage: { id: pipeline.stages.Lead },
    });
    // A deal refused (bad stage) rolls the conversion back.
    const third = await qualified();
    const refused = await key.post(`/leads/${third.id}/convert`, {
      deal: { amount: 1, currency: 'EUR', stageId: crypto.randomUUID() },
    });
    expect(refused.status).toBe(404);
    expect(dataOf(await key.get(`/leads/${third.id}`)).contactId).toBeNull();
    expect((await key.post(`/leads/${third.id}/convert`, { deal: { currency: 'EUR' } })).status).toBe(400);
  });

  it('lists with filters, sorts and cursor pages; the board sums per currency as a brute-force sum', async () => {
    const board = await addTestDealPipeline(t, tenant, { mode: 'free', name: 'Board' });
    const stageIds = board.stageIds.slice(0, 3);
    const currencies = ['EUR', 'USD', 'INR'];
    const created: any[] = [];
    for (let i = 0; i < 24; i++) {
      created.push(
        await newDeal({
          title: `Board ${i}`,
          pipelineId: board.id,
          stageId: stageIds[i % 3],
          amount: (i * 7919) % 5000,
          currency: currencies[(i >> 1) % 3],
          tags: i % 2 ? ['odd', 'board'] : ['board'],
          expectedCloseDate: i % 4 ? `2031-01-${String(1 + (i % 28)).padStart(2, '0')}` : null,
        }),
      );
    }
    // Board: count, sums per currency and the newest first deals of each stage.
    const res = dataOf(await key.get(`/pipelines/${board.id}/board?limit=3`));
    expect(res.stages.map((s: any) => s.name)).toEqual(['Lead', 'Qualified', 'Proposal', 'Won', 'Lost']);
    for (const stage of res.stages) {
      const mine = created.filter((d) => d.stage.id === stage.id);
      expect(stage.count).toBe(mine.length);
      const sums = new Map<string, number>();
      for (const d of mine) sums.set(d.currency, (sums.get(d.currency) ?? 0) + d.amount);
      expect(stage.amounts).toEqual(
        [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
      );
      expect(stage.deals.map((d: any) => d.id)).toEqual(
        mine
          .slice()
          .reverse()
          .slice(0, 3)
          .map((d) => d.id),
      );
    }
    expect((await key.get(`/pipelines/${crypto.randomUUID()}/board`)).status).toBe(404);
    expect((await key.get(`/pipelines/${board.id}/board?limit=101`)).status).toBe(400);

    // Filters against a filter in memory, every page walked.
    const walk = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let total: number;
      do {
        const page: any = dataOf(
          await key.get(`/deals?pipelineId=${board.id}&limit=5&${query}${cursor ? `&cursor=${cursor}` : ''}`),
        );
        ids.push(...page.items.map((d: any) => d.id));
        total = page.total;
        cursor = page.nextCursor;
      } while (cursor);
      expect(total).toBe(ids.length);
      return ids;
    };
    const byAmountAsc = created
      .filter((d) => d.amount >= 1000 && d.amount <= 4000)
      .sort((a, b) => a.amount - b.amount || a.id.localeCompare(b.id))
      .map((d) => d.id);
    expect(await walk('amountMin=1000&amountMax=4000&sort=amount&order=asc')).toEqual(byAmountAsc);
    expect(await walk('sort=amount&order=desc&amountMin=1000&amountMax=4000')).toEqual(
      byAmountAsc.slice().reverse(),
    );
    expect(await walk(`stageId=${stageIds[1]}&tag=odd&tag=board`)).toEqual(
      created
        .filter((d) => d.stage.id === stageIds[1] && d.tags.includes('odd'))
        .reverse()
        .map((d) => d.id),
    );
    expect(await walk('currency=EUR')).toEqual(
      created
        .filter((d) => d.currency === 'EUR')
        .reverse()
        .map((d) => d.id),
    );
    expect(await walk('currency=eur').catch(() => 'refused')).toBe('refused');
    expect(new Set(await walk('expectedCloseFrom=2031-01-05&expectedCloseTo=2031-01-20'))).toEqual(
      new Set(
        created
          .filter(
            (d) =>
              d.expectedCloseDate &&
              d.expectedCloseDate >= '2031-01-05' &&
              d.expectedCloseDate <= '2031-01-20',
          )
          .map((d) => d.id),
      ),
    );
    const byClose = await walk('sort=expectedCloseDate&order=asc');
    expect(byClose).toEqual(
      created
        .slice()
        .sort(
          (a, b) =>
            (a.expectedCloseDate ?? '9999').localeCompare(b.expectedCloseDate ?? '9999') ||
            a.id.localeCompare(b.id),
        )
        .map((d) => d.id),
    );
    expect(await walk('q=board%201')).toHaveLength(
      created.filter((d) => d.title.startsWith('Board 1')).length,
    );
    expect(await walk('status=won')).toEqual([]);
  });

  it('filters rotting deals and fires deal_rotting once per deal and tenant-local day', async () => {
    const rotting = await addTestDealPipeline(t, tenant, {
      stages: [{ name: 'Slow', rottingDays: 3 }, { name: 'Next' }],
    });
    const stale = await newDeal({ pipelineId: rotting.id, title: 'Stale' });
    const fresh = await newDeal({ pipelineId: rotting.id, title: 'Fresh' });
    const longAgo = new Date(Date.now() - 5 * 86_400_000);
    await db
      .updateTable('deals')
      .set({ stage_entered_at: longAgo, last_activity_at: longAgo })
      .where('id', '=', stale.id)
      .execute();
    const ids = async (query: string) =>
      dataOf(await key.get(`/deals?pipelineId=${rotting.id}&${query}`)).items.map((d: any) => d.id);
    expect(await ids('rotting=true')).toEqual([stale.id]);
    expect(await ids('rotting=false')).toEqual([fresh.id]);
    expect(dataOf(await key.get(`/deals/${stale.id}`)).rotting).toBe(true);

    const handle = await tenantHandle(t, tenant.tenant.id);
    const services = t.app.services;
    const now = new Date();
    // No rule listens: nothing fires.
    expect(await fireRottingDeals(services, handle, now)).toBe(0);
    dataOf(
      await t.automations(tenant).post('/rules', {
        name: 'rotting',
        trigger: 'deal_rotting',
        actions: [{ type: 'add_tag', tag: 'rotting' }],
      }),
      201,
    );
    const ours = async () =>
      (
        await db
          .selectFrom('automation_events')
          .select(['event_key', 'source', 'variables'])
          .where('trigger', '=', 'deal_rotting')
          .execute()
      ).filter((e) => (e.variables as any).dealId === stale.id || (e.variables as any).dealId === fresh.id);
    expect(await fireRottingDeals(services, handle, now)).toBe(1);
    expect(await fireRottingDeals(services, handle, new Date(now.getTime() + 60_000))).toBe(0);
    const day = (at: Date) => at.toISOString().slice(0, 10); // the test tenant's timezone is UTC
    expect(handle.tenant.timezone === 'UTC' || handle.tenant.timezone === 'Etc/UTC').toBe(true);
    const tomorrow = new Date(now.getTime() + 86_400_000);
    expect(await fireRottingDeals(services, handle, tomorrow)).toBe(1);
    const events = await ours();
    expect(events.map((e) => e.event_key).sort()).toEqual(
      [`deal_rotting:${stale.id}:${day(now)}`, `deal_rotting:${stale.id}:${day(tomorrow)}`].sort(),
    );
    expect(events[0]).toMatchObject({ source: 'cron', variables: { dealRef: stale.ref, stage: 'Slow' } });
    // A move ends the rot (a fresh stage entry).
    dataOf(await move(stale.id, { stageId: rotting.stages.Next }));
    expect(await ids('rotting=true')).toEqual([]);
  });

  it('isolates tenants: another tenant cannot see, list or move a deal (404)', async () => {
    const deal = await newDeal();
    const other = t.crm(await t.createTenant());
    expect((await other.get(`/deals/${deal.id}`)).status).toBe(404);
    expect((await other.get(`/deals/${deal.ref}`)).status).toBe(404);
    expect((await other.post(`/deals/${deal.id}/stage`, { stageId: pipeline.stages.Qualified })).status).toBe(
      404,
    );
    expect((await other.patch(`/deals/${deal.id}`, { amount: 1 })).status).toBe(404);
    expect((await other.delete(`/deals/${deal.id}`)).status).toBe(404);
    expect((await other.get(`/pipelines/${pipeline.id}/board`)).status).toBe(404);
    expect(dataOf(await other.get('/deals')).total).toBe(0);
    expect(dataOf(await key.get(`/deals/${deal.id}`)).stage.id).toBe(pipeline.stages.Lead);
  });

  it("shows an agent their own deals only: 404 for another agent's, no row or sum of it in lists and boards", async () => {
    const agentA = dataOf(await key.post('/agents', { name: 'Vis A', dailyLimit: 5 }), 201).id;
    const agentB = dataOf(await key.post('/agents', { name: 'Vis B', dailyLimit: 5 }), 201).id;
    const userA = await addTestUser(t, tenant, { role: 'agent', agentId: agentA });
    const asA = tenantClient(t.request, '/api/crm', userA.headers);
    const vis = await addTestDealPipeline(t, tenant, { name: 'Visibility' });
    const ofB = await newDeal({ pipelineId: vis.id, ownerId: agentB, amount: 500 });
    // An agent's deal of no lead is their own.
    const ofA = dataOf(
      await asA.post('/deals', { title: 'Mine', currency: 'EUR', amount: 300, pipelineId: vis.id }),
      201,
    );
    expect(ofA.ownerId).toBe(agentA);
    expect((await asA.get(`/deals/${ofB.id}`)).status).toBe(404);
    expect((await asA.get(`/deals/${ofB.id}/stages`)).status).toBe(404);
    expect((await asA.get(`/deals/${ofB.id}/activity`)).status).toBe(404);
    expect((await asA.post(`/deals/${ofB.id}/stage`, { stageId: vis.stages.Qualified })).status).toBe(404);
    expect((await asA.post(`/deals/${ofB.id}/notes`, { body: 'x' })).status).toBe(404);
    // Giving a deal away needs leads.assign.
    expect((await asA.patch(`/deals/${ofA.id}`, { ownerId: agentB })).status).toBe(403);
    expect((await asA.post('/deals', { title: 'B', currency: 'EUR', ownerId: agentB })).status).toBe(403);
    const list = dataOf(await asA.get(`/deals?pipelineId=${vis.id}`));
    expect(list.items.map((d: any) => d.id)).toEqual([ofA.id]);
    expect(list.total).toBe(1);
    expect(dataOf(await asA.get(`/deals?ownerId=${agentB}`)).total).toBe(0);
    const board = dataOf(await asA.get(`/pipelines/${vis.id}/board`));
    expect(board.stages[0]).toMatchObject({ count: 1, amounts: [{ currency: 'EUR', amount: 300 }] });
    expect(board.stages[0].deals.map((d: any) => d.id)).toEqual([ofA.id]);
    expect(dataOf(await key.get(`/pipelines/${vis.id}/board`)).stages[0].count).toBe(2);
  });

  // Real concurrency: PGlite runs one connection, so its moves could never overlap.
  describe.skipIf(testDatabaseKind !== 'postgres')('concurrent moves (Postgres)', () => {
    it("50 concurrent moves of one deal leave one history: no overlap, one open entry, the last entry's stage", async () => {
      const free = await addTestDealPipeline(t, tenant, {
        mode: 'free',
        stages: ['A', 'B', 'C', 'D', 'E', 'F'].map((name) => ({ name })),
      });
      const deal = await newDeal({ pipelineId: free.id });
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => move(deal.id, { stageId: free.stageIds[(i % 5) + 1]! })),
      );
      for (const res of results) expect(res.status, res.text).toBe(200);
      const history = await db
        .selectFrom('stage_history')
        .selectAll()
        .where('record_kind', '=', 'deal')
        .where('record_id', '=', deal.id)
        .orderBy('id')
        .execute();
      expect(history.length).toBeGreaterThan(1);
      expect(history.filter((e) => e.exited_at === null)).toHaveLength(1);
      expect(history.at(-1)!.exited_at).toBeNull();
      for (let i = 0; i + 1 < history.length; i++) {
        const [entry, next] = [history[i]!, history[i + 1]!];
        expect(entry.exited_at).not.toBeNull();
        expect(entry.exited_at!.getTime()).toBeLessThanOrEqual(next.entered_at.getTime());
        expect(entry.entered_at.getTime()).toBeLessThanOrEqual(entry.exited_at!.getTime());
        // A move enters another stage than the one it leaves.
        expect(next.stage_id).not.toBe(entry.stage_id);
      }
      const now = dataOf(await key.get(`/deals/${deal.id}`));
      expect(now.stage.id).toBe(history.at(-1)!.stage_id);
      const moves = dataOf(await key.get(`/deals/${deal.id}/activity?limit=200`)).items.filter(
        (a: any) => a.kind === 'stage_changed',
      );
      expect(moves).toHaveLength(history.length - 1);
    });
  });
});
