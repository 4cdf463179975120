import { sql, type Selectable } from 'kysely';
import { durationMsOf } from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { pageOf, type Page } from '../http/pagination.js';
import { isoDurationOf } from './task.mapper.js';
import type { SlaPolicy, SlaPolicyInput } from './sla-policy.schemas.js';
import type { SlaPoliciesTable, TaskPriority, TaskType } from './tasks.tables.js';

export type SlaPolicyRow = Selectable<SlaPoliciesTable>;

export function toSlaPolicy(row: SlaPolicyRow): SlaPolicy {
  return {
    id: row.id,
    name: row.name,
    taskType: row.task_type,
    priority: row.priority,
    duration: isoDurationOf(row.sla_seconds),
    atRiskPercent: row.at_risk_percent,
    pauseStatuses: row.pause_statuses,
    calendarId: row.calendar_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The most specific policy for a task: type and priority, then type, then priority, then any. */
export function matchingPolicy(
  db: TenantDb,
  type: TaskType,
  priority: TaskPriority,
): Promise<SlaPolicyRow | undefined> {
  return db
    .selectFrom('sla_policies')
    .selectAll()
    .where((eb) => eb.or([eb('task_type', '=', type), eb('task_type', 'is', null)]))
    .where((eb) => eb.or([eb('priority', '=', priority), eb('priority', 'is', null)]))
    .orderBy(sql`task_type is null`)
    .orderBy(sql`priority is null`)
    .limit(1)
    .executeTakeFirst();
}

export async function requirePolicy(
  db: TenantDb,
  id: string,
  path = 'body.slaPolicyId',
): Promise<SlaPolicyRow> {
  const row = await db.selectFrom('sla_policies').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.invalidFields([{ path, message: 'No such SLA policy' }]);
  return row;
}

async function requireCalendar(db: TenantDb, id: string | null): Promise<void> {
  if (id === null) return;
  const row = await db.selectFrom('calendars').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.invalidFields([{ path: 'body.calendarId', message: 'No such calendar' }]);
}

function values(input: SlaPolicyInput) {
  return {
    name: input.name,
    task_type: input.taskType,
    priority: input.priority,
    sla_seconds: Math.round(durationMsOf(input.duration)! / 1000),
    at_risk_percent: input.atRiskPercent,
    pause_statuses: input.pauseStatuses,
    calendar_id: input.calendarId,
  };
}

export async function createPolicy(db: TenantDb, input: SlaPolicyInput): Promise<SlaPolicy> {
  await requireCalendar(db, input.calendarId);
  const row = await db
    .insertInto('sla_policies')
    .values(values(input))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSlaPolicy(row);
}

export async function replacePolicy(db: TenantDb, id: string, input: SlaPolicyInput): Promise<SlaPolicy> {
  await requireCalendar(db, input.calendarId);
  const row = await db
    .updateTable('sla_policies')
    .set({ ...values(input), updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw AppError.notFound('SLA policy', { id });
  return toSlaPolicy(row);
}

export async function deletePolicy(db: TenantDb, id: string): Promise<void> {
  const gone = await db.deleteFrom('sla_policies').where('id', '=', id).returning('id').executeTakeFirst();
  if (!gone) throw AppError.notFound('SLA policy', { id });
}

export function listPolicies(
  db: TenantDb,
  page: { limit: number; cursor?: string },
): Promise<Page<SlaPolicy>> {
  return pageOf(
    db.selectFrom('sla_policies').selectAll(),
    {
      list: 'sla_policies',
      columns: [
        ['created_at', 'timestamp'],
        ['id', 'uuid'],
      ],
      direction: 'asc',
    },
    page,
    toSlaPolicy,
  );
}
