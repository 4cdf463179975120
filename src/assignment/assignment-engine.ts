import { sql, type Expression, type RawBuilder, type Selectable } from 'kysely';
import { recordActivity } from '../activity/index.js';
import type { Actor } from '../auth/access.js';
import type { TenantDatabase, TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { AssignmentStrategy } from './assignment-rules.tables.js';
import { chooseRule } from './rule-matching.js';
import type { Rule } from './rule.schemas.js';

/** A lead as the engine reads it (its search columns left out), with its assigned agent's name. */
type LeadRow = Omit<Selectable<TenantDatabase['leads']>, 'search_text' | 'search_vector' | 'sort_name'> & {
  assigned_agent_name: string | null;
};

export interface AssignmentDecision {
  agentId: string | null;
  ruleId: string | null;
  ruleName: string;
  strategy: AssignmentStrategy;
  /** Agents that were eligible when the choice was made. */
  candidates: string[];
  sticky: boolean;
  /** Why nobody got the lead (null when assigned). */
  reason: string | null;
}

export interface Pool {
  agentIds: string[] | null;
  strategy: AssignmentStrategy;
  /** The lead's state when only agents covering it qualify. */
  territory: string | null | undefined;
}

/** The eligibility conditions on agent `a`, evaluated against the tenant-local clock. */
export function eligibility(timezone: string, pool: Pool) {
  const local = sql`(now() at time zone ${timezone})`;
  const inPool = pool.agentIds ? sql`a.id = any(${pool.agentIds}::uuid[])` : sql`true`;
  const inHours = sql`(a.work_start is null or a.work_end is null or case
      when a.work_start <= a.work_end then ${local}::time >= a.work_start and ${local}::time < a.work_end
      else ${local}::time >= a.work_start or ${local}::time < a.work_end end)
    and (a.work_days is null or cardinality(a.work_days) = 0
      or extract(isodow from ${local})::int = any(a.work_days))`;
  const inTerritory =
    pool.territory === undefined
      ? sql`true`
      : sql`exists (select 1 from unnest(a.territories) t where lower(t) = lower(${pool.territory}))`;
  const belowLimit = sql`(a.daily_limit = 0 or a.assigned_date is distinct from ${local}::date
    or a.assigned_today < a.daily_limit)`;
  return { local, inPool, inHours, inTerritory, belowLimit };
}

/** Least loaded first (open leads), then least recently assigned. */
function leastLoadedOrder(schema: string): RawBuilder<unknown> {
  return sql`(select count(*) from ${sql.id(schema, 'leads')} o
      where o.assigned_agent_id = locked.id and o.archived_at is null
        and o.status not in ('won', 'lost')), assignment_seq asc nulls first, id`;
}

/** The sequence that numbers the assignments of one pool: the rule's own, or the fallback's. */
export function poolSequence(ruleId: string | null): string {
  return ruleId ? `assignment_rule_${ruleId.replaceAll('-', '')}_seq` : 'assignment_fallback_seq';
}

/** Who assigns, and what the activity entry says besides the agent and the candidates. */
export interface ActivityTemplate {
  actor: Actor | null;
  data: Record<string, unknown>;
}

/**
 * The end of an assignment statement, after a CTE `chosen(id, name)` that took the agent: count
 * it in the agent's tenant-local day, log the decision, link the lead.
 */
function recordAssignment(
  handle: TenantHandle,
  leadId: string,
  activity: ActivityTemplate,
  candidates: RawBuilder<unknown>,
) {
  const { schema } = handle;
  return sql`logged as (
      insert into ${sql.id(schema, 'lead_activities')} (lead_id, kind, actor, actor_type, actor_id, data)
      select ${leadId}, 'assigned', ${activity.actor?.name ?? null}, ${activity.actor?.type ?? null},
        ${activity.actor?.id ?? null}, ${JSON.stringify(activity.data)}::jsonb
        || jsonb_build_object('agentId', chosen.id, 'candidates', ${candidates})
      from chosen
    )
    update ${sql.id(schema, 'leads')} l set
      assigned_agent_id = chosen.id, assigned_at = clock_timestamp(), unassigned_reason = null, updated_at = now(),
      last_activity_at = now()
    from chosen where l.id = ${leadId}
    returning l.*, chosen.name as assigned_agent_name`;
}

/** Counts `leads` (1 unless given) more assignments in the agent's tenant-local day. */
export function countAssignment(
  handle: TenantHandle,
  local: RawBuilder<unknown>,
  leads: RawBuilder<unknown> = sql`1`,
) {
  const sequence = `"${handle.schema}".agent_assignment_seq`;
  return sql`assigned_today = case when a.assigned_date = ${local}::date then a.assigned_today + ${leads} else ${leads} end,
    assigned_date = ${local}::date,
    last_assigned_at = clock_timestamp(),
    assignment_seq = nextval(${sequence}::regclass)`;
}

/**
 * Gives the lead to `agentId` if that agent is still eligible, in one statement that locks
 * only that agent's row (rechecked at its newest version, so the daily limit holds under
 * concurrency) and logs the decision.
 */
async function claimAgent(
  trx: TenantDb,
  handle: TenantHandle,
  leadId: string,
  agentId: string,
  pool: Pool,
  activity: ActivityTemplate,
  candidates: string[],
): Promise<LeadRow | undefined> {
  const { local, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const result = await sql<LeadRow>`
    with chosen as (
      update ${sql.id(handle.schema, 'agents')} a set ${countAssignment(handle, local)}
      where a.id = ${agentId} and a.active and a.available and ${inHours} and ${inTerritory} and ${belowLimit}
      returning a.id, a.name
    ),
    ${recordAssignment(handle, leadId, activity, sql`${JSON.stringify(candidates)}::jsonb`)}`.execute(trx);
  return result.rows[0];
}

/**
 * Round robin and weighted: the pool's sequence hands out tickets, ticket t goes to slot
 * t mod n of the pool's rotation (agents by id, or the smooth weighted schedule), so
 * concurrent ingests spread exactly without waiting for each other; each locks only the
 * agent it takes. An agent that can no longer take leads passes the ticket to the next slot.
 */
async function assignByTicket(
  trx: TenantDb,
  handle: TenantHandle,
  leadId: string,
  pool: Pool,
  ruleId: string | null,
  activity: ActivityTemplate,
): Promise<{ lead: LeadRow; candidates: string[] } | undefined> {
  const { inPool, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const ticketSequence = `"${handle.schema}".${poolSequence(ruleId)}`;
  const fallbackSequence = `"${handle.schema}".${poolSequence(null)}`;
  // No ticket is drawn for a pool without eligible agents (a territory nobody covers, before its
  // fallback): a lost ticket per lead would skip every other slot of the rotation.
  const result = await sql<{ id: string; weight: number; ticket: number }>`
    with eligible as materialized (
      select a.id, a.weight from ${sql.id(handle.schema, 'agents')} a
      where a.active and a.available and ${inPool} and ${inHours} and ${inTerritory} and ${belowLimit}
    ),
    ticket as materialized (
      select coalesce(nextval(to_regclass(${ticketSequence})), nextval(${fallbackSequence}::regclass)) as n
      where exists (select 1 from eligible)
    )
    select eligible.id, eligible.weight, ticket.n as ticket
    from eligible cross join ticket
    order by eligible.id`.execute(trx);
  if (result.rows.length === 0) return undefined;
  // One ticket per statement (a materialised CTE): every row carries it.
  const ticket = Number(result.rows[0]!.ticket);
  const candidates = result.rows.map((row) => row.id);
  const rotation = pool.strategy === 'weighted' ? weightedRotation(result.rows) : candidates;
  const tried = new Set<string>();
  for (let step = 0; step < rotation.length && tried.size < candidates.length; step++) {
    const agentId = rotation[(ticket + step) % rotation.length]!;
    if (tried.has(agentId)) continue;
    tried.add(agentId);
    const lead = await claimAgent(trx, handle, leadId, agentId, pool, activity, candidates);
    if (lead) return { lead, candidates };
  }
  return undefined;
}

/**
 * Least loaded: every eligible agent row is locked `FOR UPDATE` in id order (no deadlocks),
 * then a second statement (a fresh snapshot, which sees every assignment committed while we
 * waited) takes the locked agent with the fewest open leads.
 */
async function assignLeastLoaded(
  trx: TenantDb,
  handle: TenantHandle,
  leadId: string,
  pool: Pool,
  activity: ActivityTemplate,
): Promise<{ lead: LeadRow; candidates: string[] } | undefined> {
  const { schema } = handle;
  const { local, inPool, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const agents = sql.id(schema, 'agents');
  const eligible = sql`a.active and a.available and ${inPool} and ${inHours} and ${inTerritory} and ${belowLimit}`;
  const locked = await sql<{ id: string }>`
    select a.id from ${agents} a where ${eligible} order by a.id for update`.execute(trx);
  const candidates = locked.rows.map((row) => row.id);
  if (candidates.length === 0) return undefined;
  const result = await sql<LeadRow>`
    with locked as (select a.id, a.assignment_seq from ${agents} a where a.id = any(${candidates}::uuid[]) and ${eligible}),
    pick as (select id from locked order by ${leastLoadedOrder(schema)} limit 1),
    chosen as (
      update ${agents} a set ${countAssignment(handle, local)} from pick where a.id = pick.id returning a.id, a.name
    ),
    ${recordAssignment(handle, leadId, activity, sql`${JSON.stringify(candidates)}::jsonb`)}`.execute(trx);
  const lead = result.rows[0];
  return lead && { lead, candidates };
}

const rotations = new Map<string, string[]>();

/**
 * Smooth weighted round robin (as in nginx) over one cycle of sum(weights) slots: weights
 * 3:1 give A A B A, so any run of tickets is split in proportion. Cached per pool shape.
 */
export function weightedRotation(agents: { id: string; weight: number }[]): string[] {
  const key = agents.map((agent) => `${agent.id}:${agent.weight}`).join(',');
  const cached = rotations.get(key);
  if (cached) return cached;
  const total = agents.reduce((sum, agent) => sum + agent.weight, 0);
  const current = agents.map(() => 0);
  const rotation: string[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best = 0;
    agents.forEach((agent, i) => {
      current[i]! += agent.weight;
      if (current[i]! > current[best]!) best = i;
    });
    current[best]! -= total;
    rotation.push(agents[best]!.id);
  }
  if (rotations.size >= 200) rotations.clear();
  rotations.set(key, rotation);
  return rotation;
}

/** Why a pool has no eligible agent, from the first condition that leaves nobody. */
async function diagnose(trx: TenantDb, handle: TenantHandle, pool: Pool): Promise<string> {
  const { inPool, inHours, inTerritory } = eligibility(handle.tenant.timezone, pool);
  const result = await sql<Record<string, number>>`
    select count(*)::int as pool,
      count(*) filter (where a.active)::int as active,
      count(*) filter (where a.active and a.available)::int as available,
      count(*) filter (where a.active and a.available and ${inHours})::int as in_hours,
      count(*) filter (where a.active and a.available and ${inHours} and ${inTerritory})::int as territory
    from ${sql.id(handle.schema, 'agents')} a where ${inPool}`.execute(trx);
  const counts = result.rows[0]!;
  if (!counts.pool) return 'no_agents_in_pool';
  if (!counts.active) return 'no_active_agents';
  if (!counts.available) return 'no_available_agents';
  if (!counts.in_hours) return 'outside_working_hours';
  if (!counts.territory) return 'no_territory_match';
  return 'daily_limit_reached';
}

/** The owner of the newest archived lead with this phone (sticky ownership), as a query. */
export function previousOwnerOf(db: TenantDb, phone: string | Expression<string>) {
  return db
    .selectFrom('leads as archived')
    .select('archived.assigned_agent_id')
    .where('archived.phone', '=', phone)
    .where('archived.archived_at', 'is not', null)
    .where('archived.assigned_agent_id', 'is not', null)
    .orderBy('archived.created_at', 'desc')
    .limit(1);
}

type RoutingRule = ReturnType<typeof chooseRule>;

/** The decision a rule made: the agent (or why none), the candidates, whether it was sticky. */
export function decisionOf(
  rule: RoutingRule,
  agentId: string | null,
  candidates: string[],
  sticky: boolean,
  reason: string | null,
): AssignmentDecision {
  return {
    agentId,
    ruleId: rule.id || null,
    ruleName: rule.name,
    strategy: rule.strategy,
    candidates,
    sticky,
    reason,
  };
}

/** What an assignment's activity entry records about the rule. */
export function activityOf(rule: RoutingRule, actor: Actor | null, sticky: boolean): ActivityTemplate {
  return {
    actor,
    data: { ruleId: rule.id || null, ruleName: rule.name, strategy: rule.strategy, sticky },
  };
}

/**
 * The rule's pool for this lead (territory rules only take agents covering its state; with the
 * territory fallback, a lead without a state goes straight to the whole pool).
 */
export function poolOf(rule: RoutingRule, lead: Pick<LeadRow, 'state'>): Pool {
  const territorial = rule.matchTerritory && (lead.state !== null || !rule.territoryFallback);
  return {
    agentIds: rule.agentIds,
    strategy: rule.strategy,
    territory: territorial ? lead.state : undefined,
  };
}

/**
 * The pool to try when no eligible agent of `pool` covers the lead's state: the whole pool,
 * when the rule falls back (the default rule always does); undefined otherwise.
 */
export function territoryFallbackOf(rule: RoutingRule, pool: Pool): Pool | undefined {
  return pool.territory !== undefined && rule.territoryFallback
    ? { ...pool, territory: undefined }
    : undefined;
}

/** The activity of an assignment made by the territory fallback says so. */
export function fallbackActivity(template: ActivityTemplate): ActivityTemplate {
  return { ...template, data: { ...template.data, territoryFallback: true } };
}

async function assignInPool(
  trx: TenantDb,
  handle: TenantHandle,
  leadId: string,
  rule: RoutingRule,
  pool: Pool,
  template: ActivityTemplate,
) {
  return rule.strategy === 'least_loaded'
    ? assignLeastLoaded(trx, handle, leadId, pool, template)
    : assignByTicket(trx, handle, leadId, pool, rule.id || null, template);
}

/**
 * Runs the smart assignment for an unassigned lead inside the caller's transaction:
 * the first matching rule decides the pool and strategy; a returning phone goes back to
 * its previous owner when the rule is sticky and that owner is eligible.
 */
export async function assignLead(
  trx: TenantDb,
  handle: TenantHandle,
  lead: LeadRow,
  rules: Rule[],
  actor: Actor | null,
  /** The previous owner when the caller already looked it up (see `previousOwnerOf`). */
  known?: { previousOwner: string | null },
): Promise<{ lead: LeadRow; decision: AssignmentDecision }> {
  const rule = chooseRule(rules, lead);
  const pool = poolOf(rule, lead);
  const owner = !rule.sticky
    ? undefined
    : known
      ? known.previousOwner
      : (await previousOwnerOf(trx, lead.phone).executeTakeFirst())?.assigned_agent_id;
  const fallback = territoryFallbackOf(rule, pool);
  if (owner) {
    // A rule that falls back to its whole pool would let the owner take the lead anyway.
    const ownerPool = { ...(fallback ?? pool), agentIds: [owner] };
    const kept = await claimAgent(trx, handle, lead.id, owner, ownerPool, activityOf(rule, actor, true), [
      owner,
    ]);
    if (kept) return { lead: kept, decision: decisionOf(rule, owner, [owner], true, null) };
  }

  const template = activityOf(rule, actor, false);
  const assigned =
    (await assignInPool(trx, handle, lead.id, rule, pool, template)) ??
    (fallback && (await assignInPool(trx, handle, lead.id, rule, fallback, fallbackActivity(template))));
  if (assigned) {
    return {
      lead: assigned.lead,
      decision: decisionOf(rule, assigned.lead.assigned_agent_id, assigned.candidates, false, null),
    };
  }
  const reason = await diagnose(trx, handle, fallback ?? pool);
  const outcome = decisionOf(rule, null, [], false, reason);
  // Logged first, so the row read back carries the `last_activity_at` the log just set.
  await recordActivity(trx, [{ leadId: lead.id, kind: 'unassigned', actor, data: { ...outcome } }]);
  const unassigned = await trx
    .updateTable('leads')
    .set({ unassigned_reason: reason })
    .where('id', '=', lead.id)
    .returningAll()
    .returning(sql<null>`null::text`.as('assigned_agent_name'))
    .executeTakeFirstOrThrow();
  return { lead: unassigned, decision: outcome };
}
