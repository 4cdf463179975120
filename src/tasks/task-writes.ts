import { sql } from 'kysely';
import type { AppServices } from '../app/services.js';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { startClock, timerInstants, type SlaClock } from './sla-clock.js';
import type { TaskSla } from './sla-terms.js';
import { clockOf, toTask, type TaskRow } from './task.mapper.js';
import type { TaskRecord } from './task-records.js';
import { selectTasks, slaCalendars } from './task.repository.js';
import type { TaskPriority, TaskStatus, TaskType } from './tasks.tables.js';
import { everyLead } from '../auth/access.js';

export type TaskServices = Pick<AppServices, 'leadEvents' | 'queue' | 'servers' | 'realtime' | 'logger'>;

export type TaskEvent = 'task.created' | 'task.updated' | 'task.at_risk' | 'task.breached' | 'task.overdue';

/** A task to create, whoever creates it (the API, a stage's template, a follow-up date). */
export interface NewTask {
  title: string;
  description: string | null;
  type: TaskType;
  priority: TaskPriority;
  status: 'pending' | 'in_progress' | 'waiting';
  record: TaskRecord;
  assigneeId: string | null;
  dueAt: Date | null;
  sla: TaskSla | null;
  stageId?: string | null;
  templateKey?: string | null;
  actor: Actor;
}

/** The SLA clock's columns. */
export function clockColumns(clock: SlaClock) {
  return {
    sla_status: clock.status,
    sla_consumed_ms: Math.round(clock.consumedMs),
    sla_running_since: clock.runningSince,
    sla_at_risk_at: clock.atRiskAt,
    sla_deadline: clock.deadline,
    sla_breached_at: clock.breachedAt,
  };
}

/** The SLA terms' columns (null: the task has no SLA). */
export function slaColumns(sla: TaskSla | null) {
  return {
    sla_policy_id: sla?.policyId ?? null,
    sla_seconds: sla?.seconds ?? null,
    sla_at_risk_percent: sla?.atRiskPercent ?? null,
    sla_pause_statuses: sla?.pauseStatuses ?? null,
    sla_calendar_id: sla?.calendarId ?? null,
  };
}

/** The status a task has at `now` given its due time: an open task past due is overdue. */
export function statusAtDue(status: TaskStatus, dueAt: Date | null, now: Date): TaskStatus {
  if ((status === 'pending' || status === 'in_progress') && dueAt && dueAt.getTime() <= now.getTime()) {
    return 'overdue';
  }
  if (status === 'overdue' && (!dueAt || dueAt.getTime() > now.getTime())) return 'pending';
  return status;
}

/** Inserts tasks in the unit's transaction and schedules their timers; the events go out after the commit. */
export async function insertTasks(
  unit: TenantUnitOfWork<any>,
  handle: TenantHandle,
  services: Partial<TaskServices>,
  tasks: readonly NewTask[],
  now = new Date(),
): Promise<TaskRow[]> {
  if (tasks.length === 0) return [];
  const inserted = await unit.trx
    .insertInto('tasks')
    .values(
      tasks.map((task) => {
        const clock = task.sla ? startClock(task.sla.terms, now, task.status) : null;
        return {
          title: task.title,
          description: task.description,
          type: task.type,
          priority: task.priority,
          status: statusAtDue(task.status, task.dueAt, now),
          lead_id: task.record.leadId,
          contact_id: task.record.contactId,
          deal_id: task.record.dealId,
          assignee_agent_id: task.assigneeId,
          due_at: task.dueAt,
          ...slaColumns(task.sla),
          ...(clock ? { ...clockColumns(clock), sla_started_at: now } : {}),
          stage_id: task.stageId ?? null,
          template_key: task.templateKey ?? null,
          ...actorColumns(task.actor),
        };
      }),
    )
    .returning('id')
    .execute();
  const rows = await rereadTasks(
    unit.trx,
    inserted.map((row) => row.id),
  );
  await scheduleTimers(unit, handle, rows, now);
  await emitTasks(unit, handle, services, 'task.created', rows, now);
  return rows;
}

/** Rows by id, with the assignee's name (in the given order). */
export async function rereadTasks(trx: TenantDb, ids: readonly string[]): Promise<TaskRow[]> {
  if (ids.length === 0) return [];
  const rows = (await selectTasks(trx, everyLead)
    .where('tasks.id', '=', sql<string>`any(${[...ids]}::uuid[])`)
    .execute()) as TaskRow[];
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id)!);
}

/**
 * Queues a wake-up at each instant a task's state changes by itself: its at-risk instant and its
 * deadline while the SLA clock runs, its due time while open. One job per task and instant (the
 * key): a retimed task gets new wake-ups, and the stale ones find nothing to do.
 */
export async function scheduleTimers(
  unit: TenantUnitOfWork<any>,
  handle: TenantHandle,
  rows: readonly TaskRow[],
  now: Date,
): Promise<void> {
  const jobs = rows.flatMap((row) => {
    if (row.status === 'completed' || row.status === 'cancelled') return [];
    const instants = row.sla_seconds !== null ? timerInstants(clockOf(row)) : [];
    if (row.due_at && (row.status === 'pending' || row.status === 'in_progress')) instants.push(row.due_at);
    return instants
      .filter((at) => at.getTime() > now.getTime() - 1000)
      .map((at) => ({
        tenantId: handle.tenant.id,
        kind: 'tasks.wake' as const,
        payload: { taskId: row.id },
        options: { runAt: at, idempotencyKey: `task:${row.id}:${at.getTime()}` },
      }));
  });
  if (jobs.length > 0) await unit.enqueue(...jobs);
}

/** Emits `event` for each task to its assignee's rooms (and the managers who see them) after the commit. */
export async function emitTasks(
  unit: TenantUnitOfWork<any>,
  handle: TenantHandle,
  services: Partial<TaskServices>,
  event: TaskEvent,
  rows: readonly TaskRow[],
  now: Date,
): Promise<void> {
  const realtime = services.realtime;
  if (!realtime || rows.length === 0) return;
  const calendarOf = await slaCalendars(handle, unit.trx);
  const tasks = rows.map((row) => toTask(row, now, calendarOf));
  unit.afterCommit(() => {
    for (const task of tasks) realtime.emitForLead(handle.tenant.id, task.assigneeId, event, { task });
  });
}
