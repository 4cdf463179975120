import type { Actor } from '../auth/access.js';
import type { DealFollowUpChanged } from '../deals/index.js';
import type { FollowUpChanged } from '../leads/index.js';
import type { OpenUnit } from '../tenancy/unit-of-work.js';
import { cancelTasks, lockOpenTasks } from './cancel-tasks.js';
import { resolveSla } from './sla-terms.js';
import { noRecord } from './task-records.js';
import {
  emitTasks,
  insertTasks,
  rereadTasks,
  scheduleTimers,
  statusAtDue,
  type NewTask,
  type TaskServices,
} from './task-writes.js';

/** The template key marking the task a record's follow-up date makes (no stage). */
export const followUpKey = 'follow_up_at';

/**
 * Follow-up tasks (`leads.follow_up_changed`, in the writing transaction): one open `follow_up`
 * task per lead follows its follow-up date. A date set makes it ("Follow up", due then, for the
 * lead's owner at that write, the SLA of a policy matching type `follow_up` if any) or moves its due time (an
 * overdue task with a future date is pending again; its wake-up is rescheduled; the assignee is
 * kept); a date cleared cancels it. Past due, the task's wake-up makes it `overdue`. Completing
 * the task leaves the lead's date as it is, and a new date after that makes a new task.
 */
export function onFollowUpChanged(open: OpenUnit, event: FollowUpChanged): Promise<void> {
  return followDates(
    open,
    event.actor,
    'lead',
    event.entries.map(({ leadId, ...entry }) => ({ recordId: leadId, ...entry })),
  );
}

/** The same for deals (`deals.follow_up_changed`). */
export function onDealFollowUpChanged(open: OpenUnit, event: DealFollowUpChanged): Promise<void> {
  return followDates(
    open,
    event.actor,
    'deal',
    event.entries.map(({ dealId, ...entry }) => ({ recordId: dealId, ...entry })),
  );
}

async function followDates(
  open: OpenUnit,
  actor: Actor,
  kind: 'lead' | 'deal',
  entries: { recordId: string; followUpAt: Date | null; ownerAgentId: string | null }[],
): Promise<void> {
  const { unit, handle } = open;
  const services = open.deps as Partial<TaskServices>;
  const now = new Date();
  const created: NewTask[] = [];
  for (const entry of entries) {
    const current = (
      await lockOpenTasks(unit, {
        record: kind === 'lead' ? 'lead_id' : 'deal_id',
        recordId: entry.recordId,
        type: 'follow_up',
      })
    ).filter((row) => row.template_key === followUpKey && row.stage_id === null);
    if (entry.followUpAt === null) {
      await cancelTasks(unit, handle, services, current, now);
      continue;
    }
    const [task] = current;
    if (!task) {
      const sla = await resolveSla(
        handle,
        unit.trx,
        { type: 'follow_up', priority: 'medium' },
        entry.ownerAgentId,
      );
      created.push({
        title: 'Follow up',
        description: null,
        type: 'follow_up',
        priority: 'medium',
        status: 'pending',
        record: {
          ...noRecord,
          [kind === 'lead' ? 'leadId' : 'dealId']: entry.recordId,
          ownerAgentId: entry.ownerAgentId,
        },
        assigneeId: entry.ownerAgentId,
        dueAt: entry.followUpAt,
        sla,
        templateKey: followUpKey,
        actor,
      });
      continue;
    }
    if (task.due_at?.getTime() === entry.followUpAt.getTime()) continue;
    await unit.trx
      .updateTable('tasks')
      .set({
        due_at: entry.followUpAt,
        status: statusAtDue(task.status, entry.followUpAt, now),
        updated_at: now,
      })
      .where('id', '=', task.id)
      .execute();
    const after = await rereadTasks(unit.trx, [task.id]);
    await scheduleTimers(unit, handle, after, now);
    await emitTasks(unit, handle, services, 'task.updated', after, now);
  }
  await insertTasks(unit, handle, services, created, now);
}
