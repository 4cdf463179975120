import { sql } from 'kysely';
import { Access } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { LeadEvent } from './lead-events.js';
import { LeadIntake } from './lead-intake.js';
import type { IngestLeadInput, Lead } from './lead.schemas.js';

/**
 * LeadIntake sends the first submission at once and every submission made while it is
 * being written as one batch: submitting synchronously makes a batch of all but the first.
 */
describe('LeadIntake (group-committed ingest)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let handle: TenantHandle;
  let agents: string[];
  const events: LeadEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant(undefined, { defaultCountry: 'US' });
    agents = [];
    for (const [name, dailyLimit] of [
      ['A', 0],
      ['B', 0],
      ['C', 3],
    ] as const) {
      const res = await t.crm(tenant).post('/agents', { name, dailyLimit });
      expect(res.status).toBe(201);
      agents.push(res.body.data.id);
    }
    handle = (await t.app.services.authenticator.authenticate(tenant.tenant.clientCode, tenant.apiKey))
      .handle;
    t.app.services.leadEvents.subscribe((event) => void events.push(event));
  });
  afterAll(() => t?.close());

  const burst = (intake: LeadIntake, inputs: Partial<IngestLeadInput>[]) =>
    Promise.allSettled(
      inputs.map((input) =>
        intake.ingest(
          {
            handle,
            actor: systemActor('burst-key'),
            access: Access.tenantWide(),
            events: t.app.services.leadEvents,
          },
          input as IngestLeadInput,
        ),
      ),
    );

  it('gives every lead of a batch the outcome it would have had alone', async () => {
    const intake = new LeadIntake();
    const first = { name: 'Alone', phone: '+14155550100' };
    const batch: Partial<IngestLeadInput>[] = [
      ...Array.from({ length: 24 }, (_, i) => ({
        name: `Batch ${i}`,
        phone: `+1415555${String(200 + i).padStart(4, '0')}`,
      })),
      { name: 'Repeat', phone: '+14155550200', email: 'repeat@example.com' },
      { name: 'Bad phone', phone: '12' },
      { name: 'Manual', phone: '+14155550300', assignedAgentId: agents[0] },
      { name: 'Skipped', phone: '+14155550301', assign: false },
    ];
    const results = await burst(intake, [first, ...batch]);
    const value = (i: number) =>
      (results[i] as PromiseFulfilledResult<Awaited<ReturnType<LeadIntake['ingest']>>>).value;

    for (let i = 0; i <= 24; i++) expect(value(i).duplicate).toBe(false);
    // The repeated phone found the lead made earlier in the same batch and filled its email.
    expect(value(25).duplicate).toBe(true);
    expect(value(25).lead.id).toBe(value(1).lead.id);
    expect(value(25).lead.email).toBe('repeat@example.com');
    const refused = results[26] as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect(refused.reason.code).toBe('validation_failed');
    expect(value(27).lead.assignedAgentId).toBe(agents[0]);
    expect(value(28).lead.assignedAgentId).toBeNull();
    expect(value(28).lead.unassignedReason).toBe('assignment_skipped');

    const routed = [0, ...Array.from({ length: 24 }, (_, i) => i + 1)].map((i) => value(i).lead);
    const perAgent = new Map<string | null, number>();
    for (const lead of routed)
      perAgent.set(lead.assignedAgentId, (perAgent.get(lead.assignedAgentId) ?? 0) + 1);
    // C stops at its daily limit of 3; A and B share the rest in turn. Round robin is exact
    // within one pool shape: the rotation over A, B, C and then over A, B each add at most one.
    expect(perAgent.get(agents[2]!)).toBe(3);
    expect(perAgent.get(null)).toBeUndefined();
    expect(Math.abs(perAgent.get(agents[0]!)! - perAgent.get(agents[1]!)!)).toBeLessThanOrEqual(2);

    const counters = await handle.db.selectFrom('agents').select(['id', 'assigned_today']).execute();
    const owned = await handle.db
      .selectFrom('leads')
      .select(['assigned_agent_id', sql<number>`count(*)::int`.as('n')])
      .where('assigned_agent_id', 'is not', null)
      .groupBy('assigned_agent_id')
      .execute();
    // Manual owners do not count against the daily limit; the engine's assignments do.
    for (const agent of counters) {
      const n = owned.find((row) => row.assigned_agent_id === agent.id)?.n ?? 0;
      expect(agent.assigned_today).toBe(agent.id === agents[0] ? n - 1 : n);
    }

    const activities = await handle.db
      .selectFrom('lead_activities')
      .select(['lead_id', 'kind', 'actor', 'data'])
      .where(
        'lead_id',
        'in',
        routed.map((lead) => lead.id),
      )
      .execute();
    for (const lead of routed) {
      const mine = activities.filter((entry) => entry.lead_id === lead.id);
      const repeated = lead.id === value(1).lead.id;
      expect(mine.map((entry) => entry.kind).sort()).toEqual(
        repeated ? ['assigned', 'created', 'duplicate'] : ['assigned', 'created'],
      );
      const assigned = mine.find((entry) => entry.kind === 'assigned')!;
      expect(assigned.actor).toBe('burst-key');
      expect(assigned.data).toMatchObject({ agentId: lead.assignedAgentId, strategy: 'round_robin' });
      expect((assigned.data as { candidates: string[] }).candidates.length).toBeGreaterThan(0);
    }

    const published = events.filter((event) => routed.some((lead) => lead.id === event.lead.id));
    expect(published.filter((event) => event.name === 'lead.created')).toHaveLength(25);
    expect(published.filter((event) => event.name === 'lead.assigned')).toHaveLength(25);
  });

  it('stores every field of a batched lead as a lead ingested alone stores it', async () => {
    const full = (phone: string): Partial<IngestLeadInput> => ({
      firstName: 'Ines',
      lastName: 'O\'Neil "Q"',
      phone,
      email: 'Ines@Acme.example',
      company: 'Acme, Inc.',
      source: 'referral',
      city: 'Oakland',
      state: 'CA',
      pincode: '94601',
      language: 'es',
      status: 'qualified',
      tags: ['enterprise', 'hot', 'enterprise'],
      followUpAt: new Date('2026-12-01T09:30:00.123Z'),
      customFields: { budget: 12000, nested: { quote: 'a "b" \\ c', list: [1, null] } },
    });
    const bare = (phone: string): Partial<IngestLeadInput> => ({ phone });
    const leadsOf = async (inputs: Partial<IngestLeadInput>[]) =>
      (await burst(new LeadIntake(), inputs)).map(
        (result) => (result as PromiseFulfilledResult<Awaited<ReturnType<LeadIntake['ingest']>>>).value.lead,
      );
    // Two batches are in flight at once: in a burst of four, the first two go alone, the others as a batch.
    const numbers = (from: number) => [0, 1, 2, 3].map((i) => `+1415555${from + i}`);
    const [alone, , batched] = await leadsOf(numbers(1500).map(full));
    const [bareAlone, , bareBatched] = await leadsOf(numbers(1600).map(bare));
    const perLead = [
      'id',
      'ref',
      'phone',
      'assignedAgentId',
      'assignedAgent',
      'assignedAt',
      'createdAt',
      'updatedAt',
      'lastActivityAt',
    ];
    const comparable = (lead: Lead | undefined) =>
      Object.fromEntries(Object.entries(lead!).filter(([key]) => !perLead.includes(key)));
    expect(comparable(batched)).toEqual(comparable(alone));
    expect(batched).toMatchObject({
      tags: ['enterprise', 'hot'],
      customFields: { budget: 12000, nested: { quote: 'a "b" \\ c', list: [1, null] } },
      status: 'qualified',
    });
    expect(comparable(bareBatched)).toEqual(comparable(bareAlone));
    expect(bareBatched).toMatchObject({ status: 'new', tags: [], customFields: {}, followUpAt: null });
  });

  it('fails only the lead the database refuses, the rest of its batch is stored', async () => {
    const intake = new LeadIntake();
    const unknownAgent = '00000000-0000-4000-8000-000000000000';
    const results = await burst(intake, [
      { name: 'First', phone: '+14155550400' },
      { name: 'Good 1', phone: '+14155550401' },
      { name: 'Unknown owner', phone: '+14155550402', assignedAgentId: unknownAgent },
      { name: 'Good 2', phone: '+14155550403' },
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason.status).toBe(400);
    // The same path a lead ingested alone reports: where the field was in the request.
    expect((results[2] as PromiseRejectedResult).reason.details).toEqual([
      { path: 'body.assignedAgentId', message: `Unknown agent ${unknownAgent}` },
    ]);
    const stored = await handle.db
      .selectFrom('leads')
      .select('phone')
      .where('phone', 'in', ['+14155550400', '+14155550401', '+14155550402', '+14155550403'])
      .execute();
    expect(stored.map((row) => row.phone).sort()).toEqual(['+14155550400', '+14155550401', '+14155550403']);
  });

  it('lets several intakes (web processes) write at once without deadlocks or lost tickets', async () => {
    const team = await t.createTenant(undefined, { defaultCountry: 'US' });
    for (let i = 0; i < 8; i++) {
      const res = await t.crm(team).post('/agents', { name: `Rep ${i}` });
      expect(res.status).toBe(201);
    }
    const teamHandle = (await t.app.services.authenticator.authenticate(team.tenant.clientCode, team.apiKey))
      .handle;
    const deadlocks = async () =>
      (
        await sql<{ n: number }>`select deadlocks::int as n from pg_stat_database
          where datname = current_database()`.execute(teamHandle.db)
      ).rows[0]!.n;
    const before = await deadlocks();
    const intakes = Array.from({ length: 4 }, () => new LeadIntake());
    let n = 0;
    for (let round = 0; round < 6; round++) {
      const results = await Promise.all(
        intakes.flatMap((intake) =>
          Array.from({ length: 25 }, () =>
            intake.ingest(
              {
                handle: teamHandle,
                actor: systemActor('node-key'),
                access: Access.tenantWide(),
                events: t.app.services.leadEvents,
              },
              {
                name: `Parallel ${n}`,
                phone: `+1415666${String(n++).padStart(4, '0')}`,
              } as IngestLeadInput,
            ),
          ),
        ),
      );
      expect(results.every((result) => result.lead.assignedAgentId !== null)).toBe(true);
    }
    // A deadlock is retried, but the tickets its attempt took are gone: the rotation skips agents.
    expect(await deadlocks()).toBe(before);
    const counts = await teamHandle.db
      .selectFrom('agents')
      .leftJoin('leads', 'leads.assigned_agent_id', 'agents.id')
      .select(['agents.assigned_today', sql<number>`count(leads.id)::int`.as('n')])
      .groupBy('agents.id')
      .execute();
    const perAgent = counts.map((row) => row.n);
    expect(perAgent.reduce((sum, count) => sum + count, 0)).toBe(n);
    expect(Math.max(...perAgent) - Math.min(...perAgent)).toBeLessThanOrEqual(1);
    for (const row of counts) expect(row.assigned_today).toBe(row.n);
  });

  it('gives a returning phone in a batch back to its previous owner', async () => {
    const intake = new LeadIntake();
    const phones = ['+14155550500', '+14155550501', '+14155550502'];
    const before = await burst(intake, [
      { name: 'Warm-up', phone: '+14155550599' },
      ...phones.map((phone) => ({ name: 'Old', phone })),
    ]);
    const owners = before
      .slice(1)
      .map(
        (result) => (result as PromiseFulfilledResult<Awaited<ReturnType<LeadIntake['ingest']>>>).value.lead,
      );
    await handle.db
      .updateTable('leads')
      .set({ archived_at: new Date() })
      .where('phone', 'in', phones)
      .execute();
    const again = await burst(intake, [
      { name: 'Warm-up 2', phone: '+14155550598' },
      ...phones.map((phone) => ({ name: 'Back', phone })),
    ]);
    again.slice(1).forEach((result, i) => {
      const { lead } = (result as PromiseFulfilledResult<Awaited<ReturnType<LeadIntake['ingest']>>>).value;
      expect(lead.id).not.toBe(owners[i]!.id);
      // Sticky unless the previous owner can no longer take leads (C's daily limit is spent).
      if (owners[i]!.assignedAgentId !== agents[2])
        expect(lead.assignedAgentId).toBe(owners[i]!.assignedAgentId);
    });
  });
});
