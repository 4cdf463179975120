import { sql, type SqlBool } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { openCallStatuses } from './presence.js';

/** When the dialer asks: the tenant's timezone (working hours are in it) and the instant. */
export interface AvailabilityClock {
  tenantTimezone: string;
  at: Date;
}

/** An agent the dialer may bridge a call to now. */
export interface AvailableAgent {
  id: string;
  name: string;
  phone: string;
  /** When the agent's last call ended (null: never on a call). */
  lastCallEndedAt: Date | null;
}

/**
 * The agents able to take a dialer call at `at`, on `agents as a`: active, available, with a
 * phone, within their working hours at `at` in the tenant's timezone (as the assignment engine's
 * eligibility, with `at` for `now()`), their own setting `available` (no presence row counts as
 * available), no open call, not in wrap-up at `at`.
 *
 * A connected socket is NOT required: salespeople take dialer calls on their phones, whether or
 * not a dashboard is open; `away` is how an agent stops calls.
 */
function availableAgents(db: TenantDb, { tenantTimezone, at }: AvailabilityClock) {
  const local = sql`(${at}::timestamptz at time zone ${tenantTimezone})`;
  const inHours = sql<SqlBool>`(a.work_start is null or a.work_end is null or case
      when a.work_start <= a.work_end then ${local}::time >= a.work_start and ${local}::time < a.work_end
      else ${local}::time >= a.work_start or ${local}::time < a.work_end end)
    and (a.work_days is null or cardinality(a.work_days) = 0
      or extract(isodow from ${local})::int = any(a.work_days))`;
  return db
    .selectFrom('agents as a')
    .where('a.active', '=', true)
    .where('a.available', '=', true)
    .where('a.phone', 'is not', null)
    .where(inHours)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('agent_presence as p')
            .select(sql`1`.as('one'))
            .whereRef('p.agent_id', '=', 'a.id')
            .where((inner) =>
              inner.or([inner('p.setting', '<>', 'available'), inner('p.wrap_up_until', '>', at)]),
            ),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('calls as c')
            .select(sql`1`.as('one'))
            .whereRef('c.agent_id', '=', 'a.id')
            .where('c.status', 'in', openCallStatuses),
        ),
      ),
    );
}

/**
 * `availableAgents` as a query of `{ id, name, phone, last_call_ended_at }`, least recently on a
 * call first (the agent whose last call ended earliest; never called first), then by id, so
 * calls spread evenly. A dialer that claims an agent adds `.forUpdate().skipLocked()` and
 * `.limit(n)` and inserts the call in the same transaction (an open call takes the agent out).
 */
export function availableAgentsQuery(db: TenantDb, clock: AvailabilityClock) {
  return availableAgents(db, clock)
    .select(['a.id', 'a.name', 'a.phone'])
    .select((eb) =>
      eb
        .selectFrom('calls as c')
        .select((inner) => inner.fn.max('c.ended_at').as('ended'))
        .whereRef('c.agent_id', '=', 'a.id')
        .as('last_call_ended_at'),
    )
    .orderBy(sql`last_call_ended_at asc nulls first`)
    .orderBy('a.id')
    .$narrowType<{ phone: string }>();
}

/** The agents available at `at`, in the dialer's order (see `availableAgentsQuery`). */
export async function listAvailableAgents(
  db: TenantDb,
  clock: AvailabilityClock & { limit?: number; exclude?: readonly string[] },
): Promise<AvailableAgent[]> {
  let query = availableAgentsQuery(db, clock);
  if (clock.exclude && clock.exclude.length > 0) query = query.where('a.id', 'not in', clock.exclude);
  if (clock.limit !== undefined) query = query.limit(clock.limit);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    phone: row.phone,
    lastCallEndedAt: row.last_call_ended_at,
  }));
}

/** How many agents are available at `at`. */
export async function countAvailableAgents(db: TenantDb, clock: AvailabilityClock): Promise<number> {
  const row = await availableAgents(db, clock)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
