import type { Selectable } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { forgetTenantValue } from '../../tenancy/tenant-memo.js';
import type { AutomationRulesTable } from '../automations.tables.js';
import type { Action, AutomationRule, Condition, RuleInput } from './rule.schemas.js';
import type { Trigger } from './triggers.js';

export function toRule(row: Selectable<AutomationRulesTable>): AutomationRule {
  return {
    id: row.id,
    name: row.name,
    trigger: row.trigger as Trigger,
    conditions: row.conditions as Condition[],
    actions: row.actions as Action[],
    active: row.active,
    delayMinutes: row.delay_minutes,
    reminderMinutesBefore: row.reminder_minutes_before,
    appointmentTimeVariable: row.appointment_time_variable,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumns(input: RuleInput) {
  return {
    name: input.name,
    trigger: input.trigger,
    conditions: JSON.stringify(input.conditions),
    actions: JSON.stringify(input.actions),
    active: input.active,
    delay_minutes: input.delayMinutes ?? null,
    reminder_minutes_before: input.reminderMinutesBefore ?? null,
    appointment_time_variable: input.appointmentTimeVariable ?? null,
  };
}

const activeRulesKey = 'automation_active_rules';

export class AutomationRuleRepository {
  private readonly db: TenantDb;

  constructor(private readonly handle: TenantHandle) {
    this.db = handle.db;
  }

  /**
   * The active rules, oldest first, memoised: every event reads them, and every rule write clears
   * them here at once and in every other process at its commit.
   */
  active(): Promise<AutomationRule[]> {
    return this.handle.memo.get(activeRulesKey, () => this.list({ active: true }));
  }

  /** The triggers active rules listen to. */
  async watchedTriggers(): Promise<Set<string>> {
    return new Set((await this.active()).map((rule) => rule.trigger));
  }

  async create(input: RuleInput): Promise<AutomationRule> {
    const row = await this.db
      .insertInto('automation_rules')
      .values(toColumns(input))
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.forgetActive();
    return toRule(row);
  }

  private forgetActive(): Promise<void> {
    return forgetTenantValue(this.db, this.handle, activeRulesKey);
  }

  async list(filter: { trigger?: string; active?: boolean } = {}): Promise<AutomationRule[]> {
    let query = this.db.selectFrom('automation_rules').selectAll().orderBy('created_at').orderBy('id');
    if (filter.trigger) query = query.where('trigger', '=', filter.trigger);
    if (filter.active !== undefined) query = query.where('active', '=', filter.active);
    return (await query.execute()).map(toRule);
  }

  async get(id: string): Promise<AutomationRule> {
    const row = await this.db
      .selectFrom('automation_rules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Automation rule', { id });
    return toRule(row);
  }

  async replace(id: string, input: RuleInput): Promise<AutomationRule> {
    const row = await this.db
      .updateTable('automation_rules')
      .set({ ...toColumns(input), updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Automation rule', { id });
    await this.forgetActive();
    return toRule(row);
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('automation_rules').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw AppError.notFound('Automation rule', { id });
    await this.forgetActive();
  }
}
