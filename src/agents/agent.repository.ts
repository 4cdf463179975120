import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { Agent, AgentInput, AgentPatch } from './agent.schemas.js';
import type { AgentsTable } from './agents.tables.js';

type AgentRow = Selectable<AgentsTable> & { assigned_today_now: number };

/** `today` in the tenant's timezone, as SQL. */
export const tenantToday = (timezone: string) => sql<string>`(now() at time zone ${timezone})::date`;

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    role: row.role,
    languages: row.languages,
    territories: row.territories,
    dailyLimit: row.daily_limit,
    weight: row.weight,
    active: row.active,
    available: row.available,
    workingHours:
      row.work_start && row.work_end
        ? { start: row.work_start.slice(0, 5), end: row.work_end.slice(0, 5), weekdays: row.work_days ?? [] }
        : null,
    assignedToday: row.assigned_today_now,
    lastAssignedAt: row.last_assigned_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumns(input: AgentPatch): Updateable<AgentsTable> {
  const columns: Updateable<AgentsTable> = {
    name: input.name,
    email: input.email === undefined ? undefined : (input.email?.toLowerCase() ?? null),
    phone: input.phone,
    role: input.role,
    languages: input.languages,
    territories: input.territories,
    daily_limit: input.dailyLimit,
    weight: input.weight,
    active: input.active,
    available: input.available,
  };
  if (input.workingHours !== undefined) {
    columns.work_start = input.workingHours?.start ?? null;
    columns.work_end = input.workingHours?.end ?? null;
    columns.work_days = input.workingHours?.weekdays ?? null;
  }
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

function selectAgents(db: TenantDb, timezone: string) {
  return db
    .selectFrom('agents')
    .selectAll()
    .select(
      sql<number>`case when assigned_date = ${tenantToday(timezone)}
        then assigned_today else 0 end`.as('assigned_today_now'),
    );
}

async function agentById(db: TenantDb, timezone: string, id: string): Promise<Agent | undefined> {
  const row = await selectAgents(db, timezone).where('id', '=', id).executeTakeFirst();
  return row && toAgent(row);
}

/** Inserts an agent, on `db` (the handle's, or a transaction of it). */
export async function insertAgent(
  handle: TenantHandle,
  input: AgentInput,
  db: TenantDb = handle.db,
): Promise<Agent> {
  const { id } = await db
    .insertInto('agents')
    .values(toColumns(input) as Insertable<AgentsTable>)
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await agentById(db, handle.tenant.timezone, id))!;
}

const agentsKeyset: Keyset = {
  list: 'agents',
  columns: [
    ['name', 'text'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** By name. */
export async function listAgents(
  handle: TenantHandle,
  filter: { active?: boolean; available?: boolean; limit: number; cursor?: string },
): Promise<Page<Agent>> {
  let query = selectAgents(handle.db, handle.tenant.timezone);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active);
  if (filter.available !== undefined) query = query.where('available', '=', filter.available);
  return pageOf(query, agentsKeyset, filter, toAgent);
}

/** With today's assignment count, today being the tenant's. */
export function findAgent(handle: TenantHandle, id: string): Promise<Agent | undefined> {
  return agentById(handle.db, handle.tenant.timezone, id);
}

/** The agents among `ids` (with today's count), in the order of `ids`; unknown ids are left out. */
export async function findAgents(handle: TenantHandle, ids: readonly string[]): Promise<Agent[]> {
  if (ids.length === 0) return [];
  const rows = await selectAgents(handle.db, handle.tenant.timezone).where('id', 'in', ids).execute();
  const byId = new Map(rows.map((row) => [row.id, toAgent(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The agent before and after the change, or undefined when there is no such agent. */
export async function updateAgent(
  handle: TenantHandle,
  id: string,
  patch: AgentPatch,
): Promise<{ before: Agent; after: Agent } | undefined> {
  const { timezone } = handle.tenant;
  return handle.db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('agents')
      .select('id')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return undefined;
    const before = (await agentById(trx, timezone, id))!;
    await trx
      .updateTable('agents')
      .set({ ...toColumns(patch), updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
    return { before, after: (await agentById(trx, timezone, id))! };
  });
}

/** The ids among `agentIds` that name no agent, in their order (empty when all exist). */
export async function unknownAgentIds(db: TenantDb, agentIds: readonly string[]): Promise<string[]> {
  if (agentIds.length === 0) return [];
  const found = await db.selectFrom('agents').select('id').where('id', 'in', agentIds).execute();
  const known = new Set(found.map((row) => row.id));
  return agentIds.filter((id) => !known.has(id));
}

/** True when a change may let the agent take leads it could not take before. */
export function becameMoreEligible(before: Agent, after: Agent): boolean {
  return (
    (after.active && after.available && !(before.active && before.available)) ||
    (after.dailyLimit === 0 && before.dailyLimit !== 0) ||
    (before.dailyLimit !== 0 && after.dailyLimit > before.dailyLimit) ||
    JSON.stringify(before.workingHours) !== JSON.stringify(after.workingHours) ||
    JSON.stringify(before.territories) !== JSON.stringify(after.territories)
  );
}
