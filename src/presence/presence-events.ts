import type { TenantDb } from '../db/tenant-database.js';
import type { Realtime } from '../realtime/realtime.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { agentPresence, type AgentPresence } from './presence.js';

/** What emitting presence needs. */
export type PresenceRealtime = Pick<Realtime, 'emitForLead'>;

export const presenceEvent = 'agent.presence';

/**
 * `agent.presence` to the sockets that see the agent: the tenant room (scope `all`) and the
 * agent's `sees:` room (the agent, their team's managers). No personal data: the same payload masked.
 */
export function emitPresence(realtime: PresenceRealtime, tenantId: string, presence: AgentPresence): void {
  realtime.emitForLead(tenantId, presence.agentId, presenceEvent, presence);
}

/**
 * Inside a unit of work that changed what an agent's presence depends on (a call started or
 * ended, a wrap-up, the setting): reads the presence at `at` as the unit leaves it and emits
 * `agent.presence` once the unit commits. Answers the presence (undefined: no such agent).
 */
export async function announcePresence(
  unit: Pick<TenantUnitOfWork<unknown>, 'trx' | 'afterCommit'>,
  services: { realtime: PresenceRealtime },
  tenantId: string,
  agentId: string,
  at: Date,
): Promise<AgentPresence | undefined> {
  const presence = await agentPresence(unit.trx, agentId, at);
  if (presence) unit.afterCommit(() => emitPresence(services.realtime, tenantId, presence));
  return presence;
}

/** Outside a unit: reads the agent's committed presence at `at` and emits it now. */
export async function publishPresence(
  db: TenantDb,
  services: { realtime: PresenceRealtime },
  tenantId: string,
  agentId: string,
  at: Date,
): Promise<AgentPresence | undefined> {
  const presence = await agentPresence(db, agentId, at);
  if (presence) emitPresence(services.realtime, tenantId, presence);
  return presence;
}
