import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { countAssignment, eligibility } from './assignment-engine.js';

/** Why an agent could not take one more lead today. */
export type SlotRefusal = 'agent_not_found' | 'agent_inactive' | 'daily_limit_reached';

/**
 * Counts one more lead in the agent's tenant-local day if the agent is active and below its
 * daily limit, as the engine counts its own assignments: one statement that locks only that
 * agent's row and rechecks the limit at its newest version, so concurrent ingests and other
 * claims never take the agent past it. For a lead given to a chosen agent by someone other than
 * the engine (a cohort's distribution), which then sets the owner itself in the same transaction.
 * Availability and working hours are not checked: the caller chose the agent, as a manual
 * assignment does.
 */
export async function claimAgentSlot(
  trx: TenantDb,
  handle: TenantHandle,
  agentId: string,
): Promise<{ claimed: true } | { claimed: false; reason: SlotRefusal }> {
  const agents = sql.id(handle.schema, 'agents');
  const { local, belowLimit } = eligibility(handle.tenant.timezone, {
    agentIds: [agentId],
    strategy: 'round_robin',
    territory: undefined,
  });
  const claimed = await sql<{ id: string }>`
    update ${agents} a set ${countAssignment(handle, local)}
    where a.id = ${agentId} and a.active and ${belowLimit}
    returning a.id`.execute(trx);
  if (claimed.rows.length > 0) return { claimed: true };
  const agent = await sql<{
    active: boolean;
  }>`select a.active from ${agents} a where a.id = ${agentId}`.execute(trx);
  const row = agent.rows[0];
  return {
    claimed: false,
    reason: !row ? 'agent_not_found' : !row.active ? 'agent_inactive' : 'daily_limit_reached',
  };
}
