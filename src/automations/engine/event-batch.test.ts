import { refuseNotesStartingWith } from '../../testing/refuse-notes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { dataOf } from '../../testing/tenant-client.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import { runEventBatch } from './event-batch.js';
import type { EventResult } from './event.schemas.js';
import { handleEvent, loadEngineSettings, type EngineEvent } from './handle-event.js';

/**
 * Issue 18: a batch of events (`runEventBatch`, what `EventIntake` sends under load) must give
 * every event the outcome it has when the events run one at a time (`handleEvent`). The same
 * events go to two tenants set up alike: one at a time to one, as one batch to the other, and
 * everything they leave (answers, leads, activity, notes, runs, jobs) is compared.
 */
describe('a batch of automation events', () => {
  let t: TestApp;
  let alone: TestTenant;
  let batched: TestTenant;

  const rules = [
    {
      name: 'Web forms',
      trigger: 'form_submitted',
      conditions: [{ field: 'lead.source', op: 'eq', value: 'website' }],
      actions: [
        { type: 'add_tag', tag: 'web-form' },
        { type: 'add_note', body: 'Form {{formName}} from {{lead.firstName}}' },
        { type: 'set_status', status: 'contacted' },
        { type: 'set_follow_up', afterMinutes: 60 },
      ],
    },
    {
      name: 'Tagged',
      trigger: 'tag_added',
      conditions: [{ field: 'variables.tag', op: 'eq', value: 'web-form' }],
      actions: [
        { type: 'change_score', by: 5 },
        { type: 'remove_tag', tag: 'cold' },
      ],
    },
    {
      name: 'Route',
      trigger: 'form_submitted',
      conditions: [{ field: 'variables.route', op: 'eq', value: 'yes' }],
      actions: [
        { type: 'assign' },
        { type: 'add_note', body: 'Routed to {{lead.assignedAgentId}}' },
        { type: 'call_webhook', url: 'http://127.0.0.1:9/hook' },
      ],
    },
    // A loop (ping → pong → ping …), cut at the cascade depth limit.
    {
      name: 'Loop start',
      trigger: 'form_submitted',
      conditions: [{ field: 'variables.loop', op: 'eq', value: 'yes' }],
      actions: [{ type: 'add_tag', tag: 'ping' }],
    },
    {
      name: 'Ping',
      trigger: 'tag_added',
      conditions: [{ field: 'variables.tag', op: 'eq', value: 'ping' }],
      actions: [
        { type: 'remove_tag', tag: 'pong' },
        { type: 'add_tag', tag: 'pong' },
      ],
    },
    {
      name: 'Pong',
      trigger: 'tag_added',
      conditions: [{ field: 'variables.tag', op: 'eq', value: 'pong' }],
      actions: [
        { type: 'remove_tag', tag: 'ping' },
        { type: 'add_tag', tag: 'ping' },
      ],
    },
  ];

  const setUp = async (code: string) => {
    const tenant = await t.createTenant(code, { defaultCountry: 'US' });
    for (const name of ['Ann', 'Bob', 'Cy']) await t.crm(tenant).post('/agents', { name });
    for (const rule of rules) dataOf(await t.automations(tenant).post('/rules', rule), 201);
    // An existing won lead: the rule's set_status fails on it (reopen needed), the rest applies.
    dataOf(
      await t.crm(tenant).post('/leads', {
        name: 'Won Already',
        phone: '+14155550900',
        source: 'website',
        status: 'won',
        tags: ['cold'],
      }),
      201,
    );
    return tenant;
  };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    alone = await setUp('batchalone');
    batched = await setUp('batchbatched');
  });
  afterAll(() => t?.close());

  const events: EngineEvent[] = [
    ...Array.from({ length: 6 }, (_, n) => ({
      trigger: 'form_submitted',
      source: 'api' as const,
      key: `api:form-${n}`,
      clientEventId: `form-${n}`,
      phone: `+1415555${1000 + n}`,
      variables: { formName: 'contact', route: n % 3 === 0 ? 'yes' : 'no', loop: n === 4 ? 'yes' : 'no' },
      createLead: { firstName: `Form ${n}`, source: 'website', tags: ['cold'], assign: n % 3 !== 0 },
    })),
    // The same phone again: one lead, this event sees what the first one did (a second wave).
    {
      trigger: 'form_submitted',
      source: 'api',
      key: 'api:form-1-again',
      clientEventId: 'form-1-again',
      phone: '+14155551001',
      variables: { formName: 'again', route: 'no' },
      createLead: { firstName: 'Ignored', email: 'again@example.com', source: 'website' },
    },
    // An event id already in the batch: answered with the first one's result.
    {
      trigger: 'form_submitted',
      source: 'api',
      key: 'api:form-2',
      clientEventId: 'form-2',
      phone: '+14155551002',
      variables: { formName: 'contact', route: 'no' },
      createLead: { firstName: 'Form 2', source: 'website' },
    },
    // The existing won lead, found by phone: set_status fails, the other actions apply.
    {
      trigger: 'form_submitted',
      source: 'api',
      key: 'api:won',
      clientEventId: 'won',
      phone: '+14155550900',
      variables: { formName: 'won', route: 'no' },
    },
    // No lead at all: the rules' actions fail with no_lead.
    {
      trigger: 'form_submitted',
      source: 'api',
      key: 'api:nobody',
      clientEventId: 'nobody',
      phone: '+14155550999',
      variables: { formName: 'none', route: 'yes' },
    },
  ];

  /** What an answer says, without the ids and times that differ between tenants. */
  const comparable = (result: EventResult) => ({
    duplicate: result.duplicate,
    leadCreated: result.leadCreated,
    lead: result.lead && {
      firstName: result.lead.firstName,
      email: result.lead.email,
      tags: result.lead.tags,
      score: result.lead.score,
      status: result.lead.status,
      followUp: result.lead.followUpAt !== null,
      assigned: result.lead.assignedAgentId !== null,
    },
    matchedRules: result.matchedRules.map(({ ruleName, trigger, depth, status }) => ({
      ruleName,
      trigger,
      depth,
      status,
    })),
    actionsApplied: result.actionsApplied.map(({ type, status, triggered }) => ({ type, status, triggered })),
    failedActions: result.failedActions.map(({ type, error }) => ({ type, code: error?.code })),
    jobs: result.jobs.map(({ kind, actionIndex }) => ({ kind, actionIndex })),
    cascadeCut: result.cascadeCut.map(({ runId: _runId, ...cut }) => cut),
  });

  /** What the tenant's database holds after the events, without ids and times. */
  const stored = async (tenant: TestTenant) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const leads = await db
      .selectFrom('leads')
      .select(['id', 'phone', 'first_name', 'email', 'tags', 'score', 'status', 'follow_up_at'])
      .select((eb) =>
        eb
          .selectFrom('agents')
          .select('name')
          .whereRef('agents.id', '=', 'leads.assigned_agent_id')
          .as('agent'),
      )
      .orderBy('phone')
      .execute();
    const activity = await db
      .selectFrom('lead_activities')
      .innerJoin('leads', 'leads.id', 'lead_activities.lead_id')
      .select(['leads.phone', 'lead_activities.kind', 'lead_activities.actor', 'lead_activities.data'])
      .orderBy('leads.phone')
      .orderBy('lead_activities.id')
      .execute();
    const notes = await db
      .selectFrom('lead_notes')
      .innerJoin('leads', 'leads.id', 'lead_notes.lead_id')
      .select(['leads.phone', 'lead_notes.body', 'lead_notes.author'])
      .orderBy('leads.phone')
      .orderBy('lead_notes.body')
      .execute();
    const runs = await db
      .selectFrom('automation_runs')
      .leftJoin('leads', 'leads.id', 'automation_runs.lead_id')
      .select(['leads.phone', 'automation_runs.rule_name', 'automation_runs.status', 'automation_runs.depth'])
      .orderBy('leads.phone')
      .orderBy('automation_runs.rule_name')
      .orderBy('automation_runs.depth')
      .execute();
    return {
      // Round robin goes by agent id, random per tenant: who got a lead differs, that one did not.
      leads: leads.map(({ id: _id, follow_up_at, agent, ...lead }) => ({
        ...lead,
        followUp: follow_up_at !== null,
        assigned: agent !== null,
      })),
      activity: activity.map(({ data, ...entry }) => {
        const {
          from,
          to,
          agentId: _agent,
          candidates: _candidates,
          ...rest
        } = data as Record<string, unknown>;
        const at = (value: unknown) =>
          value instanceof Date || /^\d{4}-/.test(String(value)) ? 'time' : value;
        return { ...entry, data: { ...rest, from: at(from), to: at(to) } };
      }),
      notes: notes.map((note) => ({ ...note, body: note.body.replace(/[0-9a-f-]{36}/, 'agent') })),
      runs,
      events: Number(
        (
          await db
            .selectFrom('automation_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    };
  };

  it('gives every event the outcome it has alone, and leaves the same data', async () => {
    const aloneHandle = await tenantHandle(t, alone.tenant.id);
    const services = t.app.services;
    const one: EventResult[] = [];
    for (const event of events)
      one.push(await handleEvent(services, aloneHandle, event, undefined, { guarded: false }));

    const batchHandle = await tenantHandle(t, batched.tenant.id);
    const settings = await loadEngineSettings(batchHandle);
    const outcomes = await inTenantTransaction(services, batchHandle, (unit) =>
      runEventBatch(unit, services, batchHandle, settings, events),
    );
    const many = outcomes.map((outcome) => {
      if (!('ok' in outcome)) throw outcome.error;
      return outcome.ok;
    });

    expect(many.map(comparable)).toEqual(one.map(comparable));
    // The duplicate is answered with the first answer of its id.
    expect(many[7]).toEqual(JSON.parse(JSON.stringify({ ...many[2], duplicate: true })));
    expect(await stored(batched)).toEqual(await stored(alone));
    // Spot checks of what the comparison covers.
    expect(many[0]!.lead).toMatchObject({
      tags: ['web-form'],
      score: expect.any(Number),
      status: 'contacted',
    });
    expect(many[6]!.lead).toMatchObject({ email: 'again@example.com', tags: ['web-form'] });
    expect(many[8]!.failedActions).toMatchObject([
      { type: 'set_status', error: { code: 'invalid_status_transition' } },
    ]);
    expect(many[9]!.failedActions.map((failed) => failed.error?.code)).toContain('no_lead');
    expect(many[0]!.jobs).toMatchObject([{ kind: 'automation.call_webhook' }]);
    expect(many[4]!.cascadeCut).toMatchObject([{ trigger: 'tag_added', depth: 6 }]);
  });

  it('runs each event of a batch that fails as a whole alone, with the outcome it has alone', async () => {
    // A note refused by the database fails the batch's one write of its held changes: every
    // event of that batch then runs alone, where the refused note is that action's failure.
    const g = await t.createTenant('batchfails', { defaultCountry: 'US' });
    const handle = await tenantHandle(t, g.tenant.id);
    await refuseNotesStartingWith(handle, 'refused');
    dataOf(
      await t.automations(g).post('/rules', {
        name: 'Tag, note, score',
        trigger: 'form_submitted',
        actions: [
          { type: 'add_tag', tag: 'before' },
          { type: 'add_note', body: '{{verdict}}: {{n}}' },
          { type: 'change_score', by: 7 },
        ],
      }),
      201,
    );
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, n) =>
        t.automations(g).post('/events', {
          trigger: 'form_submitted',
          phone: `+1415555${2000 + n}`,
          createLeadIfMissing: true,
          variables: { verdict: n % 4 === 3 ? 'refused' : 'kept', n },
          eventId: `fails-${n}`,
        }),
      ),
    );
    answers.forEach((res, n) => {
      expect(res.status).toBe(202);
      const refused = n % 4 === 3;
      expect(res.body.data.failedActions.map((failed: any) => failed.error.code)).toEqual(
        refused ? ['invalid_data'] : [],
      );
      expect(res.body.data.actionsApplied.map((action: any) => action.type)).toEqual(
        refused ? ['add_tag', 'change_score'] : ['add_tag', 'add_note', 'change_score'],
      );
      expect(res.body.data.lead.tags).toEqual(['before']);
    });
    const events = await handle.db.selectFrom('automation_events').select('event_key').execute();
    expect(events.map((event) => event.event_key).sort()).toEqual(
      Array.from({ length: 16 }, (_, n) => `api:fails-${n}`).sort(),
    );
    const notes = await handle.db.selectFrom('lead_notes').select('body').execute();
    expect(notes.map((note) => note.body).sort()).toEqual(
      Array.from({ length: 16 }, (_, n) => n)
        .filter((n) => n % 4 !== 3)
        .map((n) => `kept: ${n}`)
        .sort(),
    );
  });
});
