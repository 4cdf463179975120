import { sql, type Selectable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
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
    sticky: input.sticky,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

const activeRulesKey = 'assignment_rules';

export class RuleRepository {
  private readonly db: TenantDb;

  constructor(private readonly handle: TenantHandle) {
    this.db = handle.db;
  }

  private sequenceOf(ruleId: string) {
    return sql.id(this.handle.schema, poolSequence(ruleId));
  }

  async list(onlyActive = false): Promise<Rule[]> {
    let query = this.db.selectFrom('assignment_rules').selectAll().orderBy('position').orderBy('created_at');
    if (onlyActive) query = query.where('active', '=', true);
    return (await query.execute()).map(toRule);
  }

  /** The active rules in order, memoised per process (every ingest reads them). */
  active(): Promise<Rule[]> {
    return this.handle.memo.get(activeRulesKey, () => this.list(true));
  }

  async get(id: string): Promise<Rule> {
    const row = await this.db
      .selectFrom('assignment_rules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Assignment rule', { id });
    return toRule(row);
  }

  /** Creates the rule with the sequence that numbers its pool's tickets. */
  async create(input: RuleInput): Promise<Rule> {
    await this.assertAgentsExist(input.agentIds);
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('assignment_rules')
        .values({ conditions: '{}', ...toColumns(input) } as never)
        .returningAll()
        .executeTakeFirstOrThrow();
      await sql`create sequence ${this.sequenceOf(row.id)}`.execute(trx);
      await forgetTenantValue(trx, this.handle, activeRulesKey);
      return toRule(row);
    });
  }

  async update(id: string, input: Partial<RuleInput>): Promise<Rule> {
    await this.assertAgentsExist(input.agentIds);
    const row = await this.db
      .updateTable('assignment_rules')
      .set({ ...toColumns(input), updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Assignment rule', { id });
    await forgetTenantValue(this.db, this.handle, activeRulesKey);
    return toRule(row);
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('assignment_rules').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw AppError.notFound('Assignment rule', { id });
      await sql`drop sequence if exists ${this.sequenceOf(id)}`.execute(trx);
      await forgetTenantValue(trx, this.handle, activeRulesKey);
    });
  }

  private async assertAgentsExist(agentIds: string[] | null | undefined): Promise<void> {
    if (!agentIds?.length) return;
    const found = await this.db.selectFrom('agents').select('id').where('id', 'in', agentIds).execute();
    const known = new Set(found.map((row) => row.id));
    const missing = agentIds.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw AppError.invalidFields([
        { path: 'body.agentIds', message: `Unknown agents: ${missing.join(', ')}` },
      ]);
    }
  }
}
