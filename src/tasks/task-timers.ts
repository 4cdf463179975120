import type { JobContext } from '../queue/job-types.js';
import { fireInternalTrigger } from '../automations/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { settle } from './sla-clock.js';
import { clockOf, taskRef, type TaskRow } from './task.mapper.js';
import { leadOfTask } from './task-records.js';
import { clockColumns, emitTasks, rereadTasks, statusAtDue, type TaskServices } from './task-writes.js';

/**
 * A task's wake-up (job `tasks.wake`, queued at each instant its state changes by itself): settles
 * its SLA clock and its due time at the present. On track → at risk → breached, each once (a
 * breach is final), with realtime `task.at_risk` / `task.breached` and the automation triggers
 * `sla_at_risk` / `sla_breached`; pending or in progress past due → overdue (`task.overdue`). A
 * wake-up whose instant no longer holds (the task was paused, retimed, closed) changes nothing.
 */
export async function wakeTask(ctx: JobContext<{ taskId: string }, TaskServices>) {
  const { handle, services } = ctx;
  return inTenantTransaction(services, handle, async (unit) => {
    const locked = await unit.trx
      .selectFrom('tasks')
      .select('id')
      .where('id', '=', ctx.job.payload.taskId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return { changed: [] };
    const [row] = await rereadTasks(unit.trx, [locked.id]);
    return { changed: await settleTask(unit, handle, services, row!, new Date()) };
  });
}

type Change = 'at_risk' | 'breached' | 'overdue';

/** Writes what `now` changes about an open task; answers the changes, in order. */
export async function settleTask(
  unit: TenantUnitOfWork<any>,
  handle: TenantHandle,
  services: TaskServices,
  row: TaskRow,
  now: Date,
): Promise<Change[]> {
  if (row.status === 'completed' || row.status === 'cancelled') return [];
  const before = clockOf(row);
  const clock = row.sla_seconds !== null ? settle(before, now) : before;
  const status = row.status === 'overdue' ? 'overdue' : statusAtDue(row.status, row.due_at, now);
  const changes: Change[] = [];
  if (before.status === 'on_track' && (clock.status === 'at_risk' || clock.status === 'breached')) {
    changes.push('at_risk');
  }
  if (before.status !== 'breached' && clock.status === 'breached') changes.push('breached');
  if (status === 'overdue' && row.status !== 'overdue') changes.push('overdue');
  if (changes.length === 0) return [];

  await unit.trx
    .updateTable('tasks')
    .set({ ...clockColumns(clock), status, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  const [after] = await rereadTasks(unit.trx, [row.id]);
  const leadId = changes.some((c) => c !== 'overdue') ? await leadOfTask(unit.trx, row) : null;
  for (const change of changes) {
    await emitTasks(unit, handle, services, `task.${change}`, [after!], now);
    if (change === 'overdue') continue;
    const trigger = change === 'at_risk' ? 'sla_at_risk' : 'sla_breached';
    await fireInternalTrigger(unit, services, handle, {
      trigger,
      leadId,
      key: `${trigger}:${row.id}:${(change === 'at_risk' ? before.atRiskAt : clock.breachedAt)?.getTime()}`,
      variables: {
        taskId: row.id,
        taskRef: taskRef(row.number),
        title: row.title,
        type: row.type,
        priority: row.priority,
        assigneeId: row.assignee_agent_id,
        slaDeadline: (clock.deadline ?? before.deadline)?.toISOString() ?? null,
      },
    });
  }
  return changes;
}
