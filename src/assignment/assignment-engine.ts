import { sql, type RawBuilder } from 'kysely';
import { recordActivity } from '../activity/activity.repository.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { LeadRow } from '../leads/lead.mapper.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { AssignmentStrategy } from './assignment-rules.tables.js';
import { chooseRule } from './rule-matching.js';
import type { Rule } from './rule.schemas.js';

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

interface Pool {
  agentIds: string[] | null;
  strategy: AssignmentStrategy;
  /** The lead's state when only agents covering it qualify. */
  territory: string | null | undefined;
}

/** The eligibility conditions on agent `a`, evaluated against the tenant-local clock. */
function eligibility(timezone: string, pool: Pool) {
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

function strategyOrder(schema: string, strategy: AssignmentStrategy): RawBuilder<unknown> {
  const fairness = sql`assignment_seq asc nulls first, id`;
  switch (strategy) {
    case 'round_robin':
      return fairness;
    case 'weighted':
      // Smooth weighted round robin: the agent furthest below its share today goes next.
      return sql`(today_count + 1)::float8 / weight, ${fairness}`;
    case 'least_loaded':
      return sql`(select count(*) from ${sql.id(schema, 'leads')} o
        where o.assigned_agent_id = locked.id and o.archived_at is null
          and o.status not in ('won', 'lost')), ${fairness}`;
  }
}

/** Who assigns, and what the activity entry says besides the agent and the candidates. */
interface ActivityTemplate {
  actor: string | null;
  data: Record<string, unknown>;
}

/**
 * Assigns the lead to the best eligible agent of the pool in one statement, which also
 * logs the decision. Every eligible agent row is locked `FOR UPDATE` in id order (no
 * deadlocks); a locked row is returned at its newest committed version, so the choice and
 * the daily-limit check see every assignment committed before, and concurrent ingests over
 * the same pool serialise here. Callers commit right after, which releases the locks.
 */
async function assignFromPool(
  trx: TenantDb,
  handle: TenantHandle,
  leadId: string,
  pool: Pool,
  activity: ActivityTemplate,
): Promise<{ lead: LeadRow; candidates: string[] } | undefined> {
  const { schema } = handle;
  const { local, inPool, inHours, inTerritory, belowLimit } = eligibility(handle.tenant.timezone, pool);
  const agents = sql.id(schema, 'agents');
  const sequence = `"${schema}".agent_assignment_seq`;
  const result = await sql<LeadRow & { candidates: string[] }>`
    with locked as materialized (
      select a.id, a.weight, a.assignment_seq,
        case when a.assigned_date = ${local}::date then a.assigned_today else 0 end as today_count
      from ${agents} a
      where a.active and a.available and ${inPool} and ${inHours} and ${inTerritory} and ${belowLimit}
      order by a.id
      for update
    ),
    pick as (
      select id from locked order by ${strategyOrder(schema, pool.strategy)} limit 1
    ),
    chosen as (
      update ${agents} a set
        assigned_today = case when a.assigned_date = ${local}::date then a.assigned_today + 1 else 1 end,
        assigned_date = ${local}::date,
        last_assigned_at = clock_timestamp(),
        assignment_seq = nextval(${sequence}::regclass)
      from pick where a.id = pick.id
      returning a.id
    ),
    logged as (
      insert into ${sql.id(schema, 'lead_activities')} (lead_id, kind, actor, data)
      select ${leadId}, 'assigned', ${activity.actor}, ${JSON.stringify(activity.data)}::jsonb || jsonb_build_object(
        'agentId', chosen.id,
        'candidates', (select jsonb_agg(id order by id) from locked))
      from chosen
    )
    update ${sql.id(schema, 'leads')} l set
      assigned_agent_id = chosen.id, assigned_at = clock_timestamp(), unassigned_reason = null, updated_at = now()
    from chosen where l.id = ${leadId}
    returning l.*, (select array_agg(id order by id) from locked) as candidates`.execute(trx);
  const row = result.rows[0];
  if (!row) return undefined;
  const { candidates, ...lead } = row;
  return { lead, candidates };
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

/** The previous owner of this phone (from an archived lead), if any. */
async function previousOwner(trx: TenantDb, lead: LeadRow): Promise<string | undefined> {
  const row = await trx
    .selectFrom('leads')
    .select('assigned_agent_id')
    .where('phone', '=', lead.phone)
    .where('id', '<>', lead.id)
    .where('assigned_agent_id', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.assigned_agent_id ?? undefined;
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
  actor: string | null,
): Promise<{ lead: LeadRow; decision: AssignmentDecision }> {
  const rule = chooseRule(rules, lead);
  const decision = (
    agentId: string | null,
    candidates: string[],
    sticky: boolean,
    reason: string | null,
  ) => ({
    agentId,
    ruleId: rule.id || null,
    ruleName: rule.name,
    strategy: rule.strategy,
    candidates,
    sticky,
    reason,
  });
  const territory = rule.matchTerritory ? lead.state : undefined;
  const template = (sticky: boolean): ActivityTemplate => ({
    actor,
    data: { ruleId: rule.id || null, ruleName: rule.name, strategy: rule.strategy, sticky },
  });

  const owner = rule.sticky ? await previousOwner(trx, lead) : undefined;
  if (owner) {
    const ownerPool = { agentIds: [owner], strategy: rule.strategy, territory };
    const kept = await assignFromPool(trx, handle, lead.id, ownerPool, template(true));
    if (kept) return { lead: kept.lead, decision: decision(owner, kept.candidates, true, null) };
  }

  const pool: Pool = { agentIds: rule.agentIds, strategy: rule.strategy, territory };
  const assigned = await assignFromPool(trx, handle, lead.id, pool, template(false));
  if (assigned) {
    return {
      lead: assigned.lead,
      decision: decision(assigned.lead.assigned_agent_id, assigned.candidates, false, null),
    };
  }
  const reason = await diagnose(trx, handle, pool);
  const unassigned = await trx
    .updateTable('leads')
    .set({ unassigned_reason: reason })
    .where('id', '=', lead.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const outcome = decision(null, [], false, reason);
  await recordActivity(trx, [{ leadId: lead.id, kind: 'unassigned', actor, data: { ...outcome } }]);
  return { lead: unassigned, decision: outcome };
}
