import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import type { PresenceSetting } from './presence.tables.js';

/**
 * Writes of `agent_presence`, each an upsert (an agent has no row until something is recorded:
 * no row reads as setting `available`, offline, no wrap-up).
 */

/** Sets the agent's own setting. */
export async function setPresenceSetting(
  trx: TenantDb,
  agentId: string,
  setting: PresenceSetting,
): Promise<void> {
  await trx
    .insertInto('agent_presence')
    .values({ agent_id: agentId, setting })
    .onConflict((oc) => oc.column('agent_id').doUpdateSet({ setting, updated_at: sql<Date>`now()` }))
    .execute();
}

/**
 * The agent wraps up (notes, disposition) after a call until `until`: no dialer call meanwhile.
 * Nothing writes when the wrap-up runs out, so a job at `until` tells the dashboards
 * (`presence.wrap_up_ended`).
 */
export async function startWrapUp(
  unit: Pick<TenantUnitOfWork<unknown>, 'trx' | 'enqueue'>,
  tenantId: string,
  agentId: string,
  until: Date,
): Promise<void> {
  await unit.trx
    .insertInto('agent_presence')
    .values({ agent_id: agentId, wrap_up_until: until })
    .onConflict((oc) =>
      oc.column('agent_id').doUpdateSet({ wrap_up_until: until, updated_at: sql<Date>`now()` }),
    )
    .execute();
  await unit.enqueue({
    tenantId,
    kind: 'presence.wrap_up_ended',
    payload: { agentId, until: until.toISOString() },
    options: { runAt: until, idempotencyKey: `wrap-up:${agentId}:${until.getTime()}` },
  });
}

/** Ends the agent's wrap-up now (the agent is done early). */
export async function endWrapUp(trx: TenantDb, agentId: string): Promise<void> {
  await trx
    .insertInto('agent_presence')
    .values({ agent_id: agentId, wrap_up_until: null })
    .onConflict((oc) =>
      oc.column('agent_id').doUpdateSet({ wrap_up_until: null, updated_at: sql<Date>`now()` }),
    )
    .execute();
}

/**
 * The agent's presence row, created when absent, locked until the transaction ends: writes from
 * socket changes on every node queue here, so the last to commit counted the sockets last.
 */
export async function lockPresenceRow(
  trx: TenantDb,
  agentId: string,
): Promise<{ online: boolean; last_seen_at: Date | null } | undefined> {
  await trx
    .insertInto('agent_presence')
    .values({ agent_id: agentId })
    .onConflict((oc) => oc.column('agent_id').doNothing())
    .execute();
  return trx
    .selectFrom('agent_presence')
    .select(['online', 'last_seen_at'])
    .where('agent_id', '=', agentId)
    .forUpdate()
    .executeTakeFirst();
}

/** Records whether the agent has a connected socket, seen at `at`. */
export async function recordOnline(trx: TenantDb, agentId: string, online: boolean, at: Date): Promise<void> {
  await trx
    .updateTable('agent_presence')
    .set({ online, last_seen_at: at, updated_at: at })
    .where('agent_id', '=', agentId)
    .execute();
}

/**
 * Refreshes the lease of the agents among `agentIds` stored online; answers those refreshed
 * (the others are stored offline though a socket of theirs is here: to be counted again).
 */
export async function refreshOnline(trx: TenantDb, agentIds: readonly string[], at: Date): Promise<string[]> {
  if (agentIds.length === 0) return [];
  const rows = await trx
    .updateTable('agent_presence')
    .set({ last_seen_at: at })
    .where('agent_id', 'in', agentIds)
    .where('online', '=', true)
    .returning('agent_id')
    .execute();
  return rows.map((row) => row.agent_id);
}
