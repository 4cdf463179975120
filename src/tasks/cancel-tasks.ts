import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { onStatusChange } from './sla-clock.js';
import { storedTerms } from './sla-terms.js';
import { clockOf, type TaskRow } from './task.mapper.js';
import { clockColumns, emitTasks, rereadTasks, type TaskServices } from './task-writes.js';
import type { TaskStatus } from './tasks.tables.js';

export const openStatuses: TaskStatus[] = ['pending', 'in_progress', 'waiting', 'overdue'];

/** Which open tasks to find: of one record (its column), optionally made by one stage or of one type. */
export interface OpenTaskFilter {
  record: 'lead_id' | 'deal_id' | 'contact_id';
  recordId: string;
  stageId?: string;
  type?: TaskRow['type'];
}

/** The open tasks matching `filter`, locked, oldest first. */
export async function lockOpenTasks(unit: TenantUnitOfWork<any>, filter: OpenTaskFilter): Promise<TaskRow[]> {
  let query = unit.trx
    .selectFrom('tasks')
    .select('id')
    .where(filter.record, '=', filter.recordId)
    .where('status', 'in', openStatuses);
  if (filter.stageId) query = query.where('stage_id', '=', filter.stageId);
  if (filter.type) query = query.where('type', '=', filter.type);
  const locked = await query.orderBy('created_at').orderBy('id').forUpdate().execute();
  return rereadTasks(
    unit.trx,
    locked.map((row) => row.id),
  );
}

/**
 * Cancels open tasks by the system (a stage left, a follow-up date cleared): their SLA clocks stop
 * (`not_applicable`, a breach kept), `cancelled_at` set, realtime `task.updated` after the commit.
 */
export async function cancelTasks(
  unit: TenantUnitOfWork<any>,
  handle: TenantHandle,
  services: Partial<TaskServices>,
  rows: readonly TaskRow[],
  now: Date,
): Promise<TaskRow[]> {
  if (rows.length === 0) return [];
  for (const row of rows) {
    const terms = await storedTerms(handle, unit.trx, row);
    await unit.trx
      .updateTable('tasks')
      .set({
        ...(terms ? clockColumns(onStatusChange(terms, clockOf(row), 'cancelled', now)) : {}),
        status: 'cancelled',
        cancelled_at: now,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
  }
  const after = await rereadTasks(
    unit.trx,
    rows.map((row) => row.id),
  );
  await emitTasks(unit, handle, services, 'task.updated', after, now);
  return after;
}
