import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { LeadRow } from '../leads/lead.mapper.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import {
  activityOf,
  assignLead,
  countAssignment,
  decisionOf,
  eligibility,
  poolOf,
  poolSequence,
  weightedRotation,
  type AssignmentDecision,
  type Pool,
} from './assignment-engine.js';
import { chooseRule } from './rule-matching.js';
import type { Rule } from './rule.schemas.js';

export interface AssignmentOutcome {
  lead: LeadRow;
  decision: AssignmentDecision;
}

interface Routed {
  lead: LeadRow;
  rule: ReturnType<typeof chooseRule>;
}

interface PoolBatch {
  rule: Routed['rule'];
  pool: Pool;
  leads: LeadRow[];
}

/**
 * Assigns the new leads of one transaction together, with the same outcome as `assignLead`
 * for each. A round-robin or weighted pool takes all its tickets in one statement and claims
 * every chosen agent, with the number of leads it gets, in another (the claim rechecks each
 * agent at its newest version, daily limit included). Leads whose phone has a previous owner
 * (sticky), least-loaded pools, and leads whose agent could not take them go through
 * `assignLead` one by one.
 */
export async function assignLeads(
  trx: TenantDb,
  handle: TenantHandle,
  leads: LeadRow[],
  rules: Rule[],
  actor: string | null,
): Promise<AssignmentOutcome[]> {
  const routed = leads.map((lead) => ({ lead, rule: chooseRule(rules, lead) }));
  const owners = await previousOwners(
    trx,
    routed.filter(({ rule }) => rule.sticky).map(({ lead }) => lead.phone),
  );
  const alone: Routed[] = [];
  const pools = new Map<string, PoolBatch>();
  for (const entry of routed) {
    const { lead, rule } = entry;
    if ((rule.sticky && owners.has(lead.phone)) || rule.strategy === 'least_loaded') {
      alone.push(entry);
      continue;
    }
    const pool = poolOf(rule, lead);
    const territory = pool.territory === undefined ? '' : `:${pool.territory?.toLowerCase() ?? '\u0000'}`;
    const key = `${rule.id}${territory}`;
    const batch = pools.get(key) ?? { rule, pool, leads: [] };
    batch.leads.push(lead);
    pools.set(key, batch);
  }

  const outcomes = new Map<string, AssignmentOutcome>();
  for (const batch of pools.values()) {
    const left = await assignPoolByTickets(trx, handle, batch, actor, outcomes);
    alone.push(...left.map((lead) => ({ lead, rule: batch.rule })));
  }
  for (const { lead, rule } of alone) {
    const previousOwner = rule.sticky ? (owners.get(lead.phone) ?? null) : null;
    outcomes.set(lead.id, await assignLead(trx, handle, lead, rules, actor, { previousOwner }));
  }
  return leads.map((lead) => outcomes.get(lead.id)!);
}

/** The owner of the newest archived lead of each phone (sticky ownership), in one query. */
async function previousOwners(trx: TenantDb, phones: string[]): Promise<Map<string, string>> {
  if (phones.length === 0) return new Map();
  const rows = await trx
    .selectFrom('leads')
    .distinctOn('phone')
    .select(['phone', 'assigned_agent_id'])
    .where('phone', 'in', phones)
    .where('archived_at', 'is not', null)
    .where('assigned_agent_id', 'is not', null)
    .orderBy('phone')
    .orderBy('created_at', 'desc')
    .execute();
  return new Map(rows.map((row) => [row.phone, row.assigned_agent_id!]));
}

/**
 * Ticket t goes to slot t mod n of the pool's rotation, as for a single lead. Answers the
 * leads it could not place: over an agent's room for today, or the agent's claim failed.
 */
async function assignPoolByTickets(
  trx: TenantDb,
  handle: TenantHandle,
  { rule, pool, leads }: PoolBatch,
  actor: string | null,
  outcomes: Map<string, AssignmentOutcome>,
): Promise<LeadRow[]> {
  const { schema } = handle;
  const { local, inPool, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const ticketSequence = `"${schema}".${poolSequence(rule.id || null)}`;
  const fallbackSequence = `"${schema}".${poolSequence(null)}`;
  const { rows } = await sql<{ tickets: string[]; id: string | null; weight: number; room: number | null }>`
    with tickets as materialized (
      select array_agg(coalesce(nextval(to_regclass(${ticketSequence})),
        nextval(${fallbackSequence}::regclass))) as numbers
      from generate_series(1, ${leads.length}::int)
    )
    select tickets.numbers as tickets, a.id, a.weight,
      case when a.daily_limit = 0 then null
        when a.assigned_date is distinct from ${local}::date then a.daily_limit
        else a.daily_limit - a.assigned_today end as room
    from tickets left join ${sql.id(schema, 'agents')} a
      on a.active and a.available and ${inPool} and ${inHours} and ${inTerritory} and ${belowLimit}
    order by a.id`.execute(trx);
  const agents = rows.filter((row): row is typeof row & { id: string } => row.id !== null);
  if (agents.length === 0) return leads;
  const tickets = rows[0]!.tickets.map(Number).sort((a, b) => a - b);
  const candidates = agents.map((agent) => agent.id);
  const rotation = pool.strategy === 'weighted' ? weightedRotation(agents) : candidates;
  const room = new Map(agents.map((agent) => [agent.id, agent.room]));

  const left: LeadRow[] = [];
  const planned: { lead: LeadRow; agentId: string }[] = [];
  const counts = new Map<string, number>();
  leads.forEach((lead, index) => {
    const agentId = rotation[tickets[index]! % rotation.length]!;
    const count = counts.get(agentId) ?? 0;
    const free = room.get(agentId);
    if (free !== null && free !== undefined && count >= free) {
      left.push(lead);
      return;
    }
    counts.set(agentId, count + 1);
    planned.push({ lead, agentId });
  });

  const wanted = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const activity = activityOf(rule, actor, false);
  const claimed = await sql<LeadRow>`
    with wanted as (
      select w.id, w.leads from unnest(${wanted.map(([id]) => id)}::uuid[],
        ${wanted.map(([, count]) => count)}::int[]) as w (id, leads)
    ),
    chosen as (
      update ${sql.id(schema, 'agents')} a set ${countAssignment(handle, local, sql`w.leads`)}
      from wanted w
      where a.id = w.id and a.active and a.available and ${inHours} and ${inTerritory}
        and (a.daily_limit = 0 or a.daily_limit >= w.leads
          + case when a.assigned_date = ${local}::date then a.assigned_today else 0 end)
      returning a.id
    ),
    pairs as (
      select p.lead_id, p.agent_id
      from unnest(${planned.map((p) => p.lead.id)}::uuid[], ${planned.map((p) => p.agentId)}::uuid[])
        as p (lead_id, agent_id)
      join chosen on chosen.id = p.agent_id
    ),
    logged as (
      insert into ${sql.id(schema, 'lead_activities')} (lead_id, kind, actor, data)
      select pairs.lead_id, 'assigned', ${activity.actor}, ${JSON.stringify(activity.data)}::jsonb
        || jsonb_build_object('agentId', pairs.agent_id, 'candidates', ${JSON.stringify(candidates)}::jsonb)
      from pairs
    )
    update ${sql.id(schema, 'leads')} l set
      assigned_agent_id = pairs.agent_id, assigned_at = clock_timestamp(), unassigned_reason = null,
      updated_at = now()
    from pairs where l.id = pairs.lead_id
    returning l.*`.execute(trx);

  const assigned = new Map(claimed.rows.map((row) => [row.id, row]));
  for (const { lead, agentId } of planned) {
    const row = assigned.get(lead.id);
    if (!row) left.push(lead);
    else outcomes.set(lead.id, { lead: row, decision: decisionOf(rule, agentId, candidates, false, null) });
  }
  return left;
}
