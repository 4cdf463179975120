import type { Logger } from 'pino';
import type { Stop } from '../app/component.js';
import type { Realtime } from '../realtime/realtime.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { announcePresence } from './presence-events.js';
import { lockPresenceRow, recordOnline, refreshOnline } from './presence-writes.js';
import { onlineAt, presenceHeartbeatMs } from './presence.js';

export interface PresenceSocketServices {
  realtime: Realtime;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Counts the agent's sockets on every node and stores the answer, under the lock of the agent's
 * presence row: concurrent changes on several nodes are written one after the other, each
 * counting after the previous committed, so the last write holds the last count. Emits
 * `agent.presence` when whether the agent is online changed.
 */
export async function recountAgentSockets(
  services: PresenceSocketServices,
  handle: TenantHandle,
  agentId: string,
  at: Date,
): Promise<void> {
  await inTenantTransaction({ logger: services.logger }, handle, async (unit) => {
    const before = await lockPresenceRow(unit.trx, agentId);
    if (!before) return;
    const online = (await services.realtime.agentSocketCount(handle.tenant.id, agentId)) > 0;
    await recordOnline(unit.trx, agentId, online, at);
    const was = onlineAt({ online: before.online, lastSeenAt: before.last_seen_at }, at);
    if (was !== online) await announcePresence(unit, services, handle.tenant.id, agentId, at);
  });
}

/**
 * Keeps `agent_presence.online` following the sockets of users linked to agents: recounts on
 * each connect and disconnect on this process, and every `presenceHeartbeatMs` refreshes the
 * lease of this process's agents (recounting those stored offline). Stops listening at shutdown,
 * once the recounts under way have finished.
 */
export function followAgentSockets(services: PresenceSocketServices): Stop {
  const running = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  const recount = (handle: TenantHandle, agentId: string) =>
    track(
      recountAgentSockets(services, handle, agentId, new Date()).catch((error: unknown) =>
        services.logger.warn({ err: error, agentId }, 'agent presence could not be recorded'),
      ),
    );
  const stopListening = services.realtime.onAgentSocket(({ handle, agentId }) => recount(handle, agentId));
  const heartbeat = setInterval(() => {
    for (const { handle, agentIds } of services.realtime.localAgents().values()) {
      const ids = [...agentIds];
      track(
        refreshOnline(handle.db, ids, new Date())
          .then((refreshed) => {
            for (const agentId of ids) if (!refreshed.includes(agentId)) recount(handle, agentId);
          })
          .catch((error: unknown) =>
            services.logger.warn({ err: error }, 'agent presence lease could not be refreshed'),
          ),
      );
    }
  }, presenceHeartbeatMs);
  heartbeat.unref();
  return async () => {
    stopListening();
    clearInterval(heartbeat);
    await Promise.allSettled([...running]);
  };
}
