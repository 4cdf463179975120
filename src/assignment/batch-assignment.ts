import { sql } from 'kysely';
import type { Actor } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import {
  activityOf,
  countAssignment,
  decisionOf,
  eligibility,
  fallbackActivity,
  poolOf,
  poolSequence,
  territoryFallbackOf,
  weightedRotation,
  type AssignmentDecision,
  type Pool,
} from './assignment-engine.js';
import { chooseRule, type RoutableLead } from './rule-matching.js';
import type { Rule } from './rule.schemas.js';

/** A lead about to be inserted, as far as routing needs it. */
export type RoutableNewLead = RoutableLead & { phone: string };

/** An agent claimed for a lead before its insert: the owner to store and what to log. */
export interface ClaimedAgent {
  agentId: string;
  decision: AssignmentDecision;
  activity: { actor: Actor | null; data: Record<string, unknown> };
}

interface Routed {
  index: number;
  lead: RoutableNewLead;
  rule: ReturnType<typeof chooseRule>;
}

interface PoolBatch {
  rule: Routed['rule'];
  pool: Pool;
  leads: Routed[];
}

/**
 * Claims agents for many leads before they are inserted, so each new lead is written once,
 * with its owner. A round-robin or weighted pool takes all its tickets in one statement and
 * claims every chosen agent, with the number of leads it gets, in another (rechecked at the
 * agent's newest version, daily limit included), as `assignLead` does for one lead.
 * Leads left without a claim (a returning phone whose previous owner is known, a
 * least-loaded pool, an agent over its room) are for `assignLead` after the insert, with
 * `previousOwners`. A claim whose lead turns out to be a duplicate is undone by `releaseClaims`.
 */
export async function claimAgentsFor(
  trx: TenantDb,
  handle: TenantHandle,
  leads: RoutableNewLead[],
  rules: Rule[],
  actor: Actor | null,
): Promise<{ claims: (ClaimedAgent | undefined)[]; previousOwners: Map<string, string> }> {
  const routed = leads.map((lead, index) => ({ index, lead, rule: chooseRule(rules, lead) }));
  const owners = await previousOwners(
    trx,
    routed.filter(({ rule }) => rule.sticky).map(({ lead }) => lead.phone),
  );
  const pools = new Map<string, PoolBatch>();
  for (const entry of routed) {
    const { lead, rule } = entry;
    if ((rule.sticky && owners.has(lead.phone)) || rule.strategy === 'least_loaded') continue;
    const pool = poolOf(rule, lead);
    const territory = pool.territory === undefined ? '' : `:${pool.territory?.toLowerCase() ?? '\u0000'}`;
    const key = `${rule.id}${territory}`;
    const batch = pools.get(key) ?? { rule, pool, leads: [] };
    batch.leads.push(entry);
    pools.set(key, batch);
  }
  const claims: (ClaimedAgent | undefined)[] = leads.map(() => undefined);
  for (const batch of pools.values()) await claimPoolByTickets(trx, handle, batch, actor, claims);
  return { claims, previousOwners: owners };
}

/** Gives back one assignment of today per entry (the agents claimed for leads that were duplicates). */
export async function releaseClaims(trx: TenantDb, handle: TenantHandle, agentIds: string[]): Promise<void> {
  if (agentIds.length === 0) return;
  const counts = new Map<string, number>();
  for (const id of agentIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  await sql`
    update ${sql.id(handle.schema, 'agents')} a set assigned_today = a.assigned_today - r.leads
    from unnest(${[...counts.keys()]}::uuid[], ${[...counts.values()]}::int[]) as r (id, leads)
    where a.id = r.id`.execute(trx);
}

/** The owner of the newest archived lead of each phone (sticky ownership), in one query. */
async function previousOwners(trx: TenantDb, phones: string[]): Promise<Map<string, string>> {
  if (phones.length === 0) return new Map();
  const rows = await trx
    .selectFrom('leads')
    .distinctOn('phone')
    .select(['phone', 'assigned_agent_id'])
    .where('phone', '=', sql<string>`any(${phones}::text[])`)
    .where('archived_at', 'is not', null)
    .where('assigned_agent_id', 'is not', null)
    .orderBy('phone')
    .orderBy('created_at', 'desc')
    .execute();
  return new Map(rows.map((row) => [row.phone, row.assigned_agent_id!]));
}

/** Ticket t goes to slot t mod n of the pool's rotation, as for a single lead. */
async function claimPoolByTickets(
  trx: TenantDb,
  handle: TenantHandle,
  { rule, pool, leads }: PoolBatch,
  actor: Actor | null,
  claims: (ClaimedAgent | undefined)[],
  territoryFallback = false,
): Promise<void> {
  const { schema } = handle;
  const { local, inPool, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const ticketSequence = `"${schema}".${poolSequence(rule.id || null)}`;
  const fallbackSequence = `"${schema}".${poolSequence(null)}`;
  // Tickets are drawn only when the pool has an eligible agent (see `assignByTicket`).
  const eligibleAgent = sql`a.active and a.available and ${inPool} and ${inHours} and ${inTerritory} and ${belowLimit}`;
  const { rows } = await sql<{ tickets: string[]; id: string | null; weight: number; room: number | null }>`
    with tickets as materialized (
      select array_agg(coalesce(nextval(to_regclass(${ticketSequence})),
        nextval(${fallbackSequence}::regclass))) as numbers
      from generate_series(1, ${leads.length}::int)
      where exists (select 1 from ${sql.id(schema, 'agents')} a where ${eligibleAgent})
    )
    select tickets.numbers as tickets, a.id, a.weight,
      case when a.daily_limit = 0 then null
        when a.assigned_date is distinct from ${local}::date then a.daily_limit
        else a.daily_limit - a.assigned_today end as room
    from tickets left join ${sql.id(schema, 'agents')} a on ${eligibleAgent}
    order by a.id`.execute(trx);
  const agents = rows.filter((row): row is typeof row & { id: string } => row.id !== null);
  if (agents.length === 0) {
    // Nobody eligible covers the state: the rule's whole pool, as `assignLead` does.
    const fallback = territoryFallbackOf(rule, pool);
    if (fallback) await claimPoolByTickets(trx, handle, { rule, pool: fallback, leads }, actor, claims, true);
    return;
  }
  const tickets = rows[0]!.tickets.map(Number).sort((a, b) => a - b);
  const candidates = agents.map((agent) => agent.id);
  const rotation = pool.strategy === 'weighted' ? weightedRotation(agents) : candidates;
  const room = new Map(agents.map((agent) => [agent.id, agent.room]));

  const planned: { index: number; agentId: string }[] = [];
  const counts = new Map<string, number>();
  leads.forEach(({ index }, position) => {
    const agentId = rotation[tickets[position]! % rotation.length]!;
    const count = counts.get(agentId) ?? 0;
    const free = room.get(agentId);
    if (free !== null && free !== undefined && count >= free) return;
    counts.set(agentId, count + 1);
    planned.push({ index, agentId });
  });

  const wanted = [...counts.entries()];
  // Concurrent batches (two in flight, or several web processes) claim overlapping agents: the
  // rows are locked in id order first, or the update would lock them in scan order and deadlock.
  const { rows: chosen } = await sql<{ id: string }>`
    with locked as materialized (
      select id from ${sql.id(schema, 'agents')} where id = any(${wanted.map(([id]) => id)}::uuid[])
      order by id for no key update
    )
    update ${sql.id(schema, 'agents')} a set ${countAssignment(handle, local, sql`w.leads`)}
    from locked, unnest(${wanted.map(([id]) => id)}::uuid[], ${wanted.map(([, count]) => count)}::int[]) as w (id, leads)
    where a.id = locked.id and a.id = w.id and a.active and a.available and ${inHours} and ${inTerritory}
      and (a.daily_limit = 0 or a.daily_limit >= w.leads
        + case when a.assigned_date = ${local}::date then a.assigned_today else 0 end)
    returning a.id`.execute(trx);
  const taken = new Set(chosen.map((row) => row.id));
  const ruleTemplate = activityOf(rule, actor, false);
  const template = territoryFallback ? fallbackActivity(ruleTemplate) : ruleTemplate;
  for (const { index, agentId } of planned) {
    if (!taken.has(agentId)) continue;
    claims[index] = {
      agentId,
      decision: decisionOf(rule, agentId, candidates, false, null),
      activity: { actor, data: { ...template.data, agentId, candidates } },
    };
  }
}
