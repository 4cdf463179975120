import { assertAgentsExist } from '../agents/index.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import { sql, type Selectable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';
import { poolSequence } from './assignment-engine.js';
import type { AssignmentRulesTable } from './assignment-rules.tables.js';
import type { Rule, RuleInput } from './rule.schemas.js';

function toRule(row: Selectable<AssignmentRulesTable>): Rule {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    active: row.active,
    conditions: row.conditions,
    agentIds: row.agent_ids,
    strategy: row.strategy,
    matchTerritory: row.match_territory,
    territoryFallback: row.territory_fallback,
    sticky: row.sticky,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumns(input: Partial<RuleInput>) {
  const columns = {
    name: input.name,
    position: input.position,
    active: input.active,
    conditions: input.conditions && JSON.stringify(input.conditions),
    agent_ids: input.agentIds,
    strategy: input.strategy,
    match_territory: input.matchTerritory,
    territory_fallback: input.territoryFallback,
    sticky: input.sticky,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

const activeRulesKey = 'assignment_rules';

const sequenceOf = (handle: TenantHandle, ruleId: string) => sql.id(handle.schema, poolSequence(ruleId));

export async function listAssignmentRules(db: TenantDb, onlyActive = false): Promise<Rule[]> {
  let query = db.selectFrom('assignment_rules').selectAll().orderBy('position').orderBy('created_at');
  if (onlyActive) query = query.where('active', '=', true);
  return (await query.execute()).map(toRule);
}

const assignmentRulesKeyset: Keyset = {
  list: 'assignmentRules',
  columns: [
    ['position', 'int'],
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** A page of the rules in evaluation order. */
export async function listAssignmentRulePage(
  db: TenantDb,
  page: { limit: number; cursor?: string },
): Promise<Page<Rule>> {
  const query = db.selectFrom('assignment_rules').selectAll();
  return pageOf(query, assignmentRulesKeyset, page, toRule);
}

/** The active rules in order, memoised per process (every ingest reads them). */
export function activeAssignmentRules(handle: TenantHandle, db: TenantDb = handle.db): Promise<Rule[]> {
  return handle.memo.get(activeRulesKey, () => listAssignmentRules(db, true));
}

export async function findAssignmentRule(db: TenantDb, id: string): Promise<Rule | undefined> {
  const row = await db.selectFrom('assignment_rules').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRule(row);
}

/** Creates the rule with the sequence that numbers its pool's tickets. */
export async function insertAssignmentRule(handle: TenantHandle, input: RuleInput): Promise<Rule> {
  if (input.agentIds?.length) await assertAgentsExist(handle.db, input.agentIds, 'body.agentIds');
  return handle.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('assignment_rules')
      .values({ conditions: '{}', ...toColumns(input) } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    await sql`create sequence ${sequenceOf(handle, row.id)}`.execute(trx);
    await forgetTenantValue(trx, handle, activeRulesKey);
    return toRule(row);
  });
}

export async function updateAssignmentRule(
  handle: TenantHandle,
  id: string,
  input: Partial<RuleInput>,
): Promise<Rule | undefined> {
  if (input.agentIds?.length) await assertAgentsExist(handle.db, input.agentIds, 'body.agentIds');
  const row = await handle.db
    .updateTable('assignment_rules')
    .set({ ...toColumns(input), updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  await forgetTenantValue(handle.db, handle, activeRulesKey);
  return toRule(row);
}

/** Deletes the rule and its sequence; undefined when there was no such rule. */
export async function deleteAssignmentRule(
  handle: TenantHandle,
  id: string,
): Promise<{ id: string } | undefined> {
  return handle.db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('assignment_rules')
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (!deleted) return undefined;
    await sql`drop sequence if exists ${sequenceOf(handle, id)}`.execute(trx);
    await forgetTenantValue(trx, handle, activeRulesKey);
    return deleted;
  });
}
