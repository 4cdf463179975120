import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { PresenceSetting } from './presence.tables.js';

/** What an agent is doing now, as dashboards show it. */
export const presences = ['online', 'available', 'on_call', 'wrap_up', 'offline'] as const;
export type Presence = (typeof presences)[number];

/** Calls not yet final: an agent with one of these is on a call. */
export const openCallStatuses = ['queued', 'initiated', 'ringing', 'in-progress'] as const;

/**
 * How often each process refreshes `last_seen_at` of the agents with a socket on it, and how long
 * a stored `online` is believed without a refresh: a process that crashed leaves `online` true,
 * and its agents read as offline once the lease runs out (unless their clients reconnected elsewhere).
 */
export const presenceHeartbeatMs = 30_000;
export const presenceLeaseMs = 90_000;

/** What presence is derived from. `online`: the stored flag, before its lease is checked. */
export interface PresenceFacts {
  setting: PresenceSetting;
  online: boolean;
  lastSeenAt: Date | null;
  onCall: boolean;
  wrapUpUntil: Date | null;
  agentActive: boolean;
  agentAvailable: boolean;
}

/** Whether the stored `online` still holds at `at`: set, and refreshed within the lease. */
export function onlineAt(facts: Pick<PresenceFacts, 'online' | 'lastSeenAt'>, at: Date): boolean {
  return (
    facts.online && facts.lastSeenAt !== null && facts.lastSeenAt.getTime() > at.getTime() - presenceLeaseMs
  );
}

/**
 * The derivation, in this order: on a call whatever else; in wrap-up until `wrapUpUntil`; offline
 * without a connected socket; available when the agent says so and may take work (active and
 * available); else online (connected, but away or unavailable).
 */
export function presenceOf(facts: PresenceFacts, at: Date): Presence {
  if (facts.onCall) return 'on_call';
  if (facts.wrapUpUntil !== null && facts.wrapUpUntil.getTime() > at.getTime()) return 'wrap_up';
  if (!onlineAt(facts, at)) return 'offline';
  if (facts.setting === 'available' && facts.agentActive && facts.agentAvailable) return 'available';
  return 'online';
}

/** An agent's presence: what `GET /presence` lists and `agent.presence` carries. */
export interface AgentPresence {
  agentId: string;
  name: string;
  presence: Presence;
  setting: PresenceSetting;
  /** A socket of a user linked to the agent is connected (within the lease). */
  online: boolean;
  onCall: boolean;
  wrapUpUntil: Date | null;
  lastSeenAt: Date | null;
}

function selectPresence(db: TenantDb) {
  return db
    .selectFrom('agents as a')
    .leftJoin('agent_presence as p', 'p.agent_id', 'a.id')
    .select([
      'a.id as agent_id',
      'a.name',
      'a.active',
      'a.available',
      'p.setting',
      'p.online',
      'p.last_seen_at',
      'p.wrap_up_until',
    ])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('calls as c')
            .select(sql`1`.as('one'))
            .whereRef('c.agent_id', '=', 'a.id')
            .where('c.status', 'in', openCallStatuses),
        )
        .as('on_call'),
    );
}

type PresenceRow = {
  agent_id: string;
  name: string;
  active: boolean;
  available: boolean;
  setting: PresenceSetting | null;
  online: boolean | null;
  last_seen_at: Date | null;
  wrap_up_until: Date | null;
  on_call: boolean;
};

/** An agent without a presence row: setting `available`, never seen. */
function toAgentPresence(row: PresenceRow, at: Date): AgentPresence {
  const facts: PresenceFacts = {
    setting: row.setting ?? 'available',
    online: row.online ?? false,
    lastSeenAt: row.last_seen_at,
    onCall: Boolean(row.on_call),
    wrapUpUntil: row.wrap_up_until,
    agentActive: row.active,
    agentAvailable: row.available,
  };
  return {
    agentId: row.agent_id,
    name: row.name,
    presence: presenceOf(facts, at),
    setting: facts.setting,
    online: onlineAt(facts, at),
    onCall: facts.onCall,
    wrapUpUntil: row.wrap_up_until,
    lastSeenAt: row.last_seen_at,
  };
}

const presenceKeyset: Keyset = {
  list: 'presence',
  columns: [
    ['a.name', 'text'],
    ['a.id', 'uuid'],
  ],
  direction: 'asc',
};

/** The presence at `at` of every agent `visibility` reaches (`leads.read`: all, or its agents), by name. */
export function listPresence(
  db: TenantDb,
  visibility: Visibility,
  at: Date,
  page: { limit: number; cursor?: string },
): Promise<Page<AgentPresence>> {
  let query = selectPresence(db);
  if (!visibility.all) {
    if (visibility.agentIds.length === 0) query = query.where(sql<boolean>`false`);
    else query = query.where('a.id', 'in', visibility.agentIds);
  }
  return pageOf(query, presenceKeyset, page, (row) => toAgentPresence(row as PresenceRow, at));
}

/** One agent's presence at `at`; undefined when there is no such agent. */
export async function agentPresence(
  db: TenantDb,
  agentId: string,
  at: Date,
): Promise<AgentPresence | undefined> {
  const row = await selectPresence(db).where('a.id', '=', agentId).executeTakeFirst();
  return row && toAgentPresence(row as PresenceRow, at);
}
