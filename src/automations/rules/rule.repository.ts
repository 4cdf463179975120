import type { Selectable } from 'kysely';
import { pageOf, type Keyset, type Page } from '../../http/pagination.js';
import type { TenantDb } from '../../db/tenant-database.js';
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

/**
 * The active rules, oldest first, memoised: every event reads them, and every rule write clears
 * them here at once and in every other process at its commit.
 */
export function activeAutomationRules(
  handle: TenantHandle,
  db: TenantDb = handle.db,
): Promise<AutomationRule[]> {
  return handle.memo.get(activeRulesKey, () => listAutomationRules(db, { active: true }));
}

/** The triggers active rules listen to. */
export async function watchedTriggers(handle: TenantHandle): Promise<Set<string>> {
  return new Set((await activeAutomationRules(handle)).map((rule) => rule.trigger));
}

const forgetActiveRules = (handle: TenantHandle) => forgetTenantValue(handle.db, handle, activeRulesKey);

export async function insertAutomationRule(handle: TenantHandle, input: RuleInput): Promise<AutomationRule> {
  const row = await handle.db
    .insertInto('automation_rules')
    .values(toColumns(input))
    .returningAll()
    .executeTakeFirstOrThrow();
  await forgetActiveRules(handle);
  return toRule(row);
}

export async function listAutomationRules(
  db: TenantDb,
  filter: { trigger?: string; active?: boolean } = {},
): Promise<AutomationRule[]> {
  let query = db.selectFrom('automation_rules').selectAll().orderBy('created_at').orderBy('id');
  if (filter.trigger) query = query.where('trigger', '=', filter.trigger);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active);
  return (await query.execute()).map(toRule);
}

const automationRulesKeyset: Keyset = {
  list: 'automationRules',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** A page of the rules, oldest first (the order they run in). */
export async function listAutomationRulePage(
  db: TenantDb,
  filter: { trigger?: string; active?: boolean; limit: number; cursor?: string },
): Promise<Page<AutomationRule>> {
  let query = db.selectFrom('automation_rules').selectAll();
  if (filter.trigger) query = query.where('trigger', '=', filter.trigger);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active);
  return pageOf(query, automationRulesKeyset, filter, toRule);
}

export async function findAutomationRule(db: TenantDb, id: string): Promise<AutomationRule | undefined> {
  const row = await db.selectFrom('automation_rules').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRule(row);
}

/** Replaces the whole rule; undefined when there is no such rule. */
export async function updateAutomationRule(
  handle: TenantHandle,
  id: string,
  input: RuleInput,
): Promise<AutomationRule | undefined> {
  const row = await handle.db
    .updateTable('automation_rules')
    .set({ ...toColumns(input), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  await forgetActiveRules(handle);
  return toRule(row);
}

/** The deleted rule's id, undefined when there was no such rule. */
export async function deleteAutomationRule(
  handle: TenantHandle,
  id: string,
): Promise<{ id: string } | undefined> {
  const deleted = await handle.db
    .deleteFrom('automation_rules')
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  if (!deleted) return undefined;
  await forgetActiveRules(handle);
  return deleted;
}
