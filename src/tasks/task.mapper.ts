import type { Selectable } from 'kysely';
import { actorFromColumns } from '../auth/actors.js';
import { businessTimeBetween, type WorkingCalendar } from '../calendars/index.js';
import { breachMs, type SlaClock } from './sla-clock.js';
import type { Task } from './task.schemas.js';
import type { TasksTable } from './tasks.tables.js';

export type TaskRow = Selectable<TasksTable> & { assignee_name: string | null };

export const taskRef = (number: string | number) => `T-${number}`;

/** Whole seconds as an ISO 8601 duration of days, hours, minutes, seconds (`PT4H`, `P1DT2H30M`). */
export function isoDurationOf(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/** The SLA clock as a task row stores it. */
export function clockOf(row: Selectable<TasksTable>): SlaClock {
  return {
    status: row.sla_status,
    consumedMs: Number(row.sla_consumed_ms),
    runningSince: row.sla_running_since,
    atRiskAt: row.sla_at_risk_at,
    deadline: row.sla_deadline,
    breachedAt: row.sla_breached_at,
  };
}

/** A row as the API shows it at `now`; `calendarOf` gives the calendar of its SLA (for times left and past). */
export function toTask(row: TaskRow, now: Date, calendarOf: (id: string | null) => WorkingCalendar): Task {
  const clock = clockOf(row);
  const hasSla = row.sla_seconds !== null;
  const open = row.status !== 'completed' && row.status !== 'cancelled';
  const calendar = () => calendarOf(row.sla_calendar_id);
  let remaining: number | null = null;
  if (hasSla && open) {
    if (clock.breachedAt) remaining = 0;
    else if (clock.runningSince && clock.deadline) {
      remaining = Math.max(0, Math.round(businessTimeBetween(calendar(), now, clock.deadline)));
    } else remaining = Math.max(0, row.sla_seconds! * 1000 - clock.consumedMs);
  }
  return {
    id: row.id,
    ref: taskRef(row.number),
    title: row.title,
    description: row.description,
    type: row.type,
    priority: row.priority,
    status: row.status,
    record: row.lead_id
      ? { kind: 'lead', id: row.lead_id }
      : row.deal_id
        ? { kind: 'deal', id: row.deal_id }
        : row.contact_id
          ? { kind: 'contact', id: row.contact_id }
          : null,
    assigneeId: row.assignee_agent_id,
    assignee: row.assignee_agent_id ? { id: row.assignee_agent_id, name: row.assignee_name ?? '' } : null,
    dueAt: row.due_at,
    sla: hasSla
      ? {
          policyId: row.sla_policy_id,
          duration: isoDurationOf(row.sla_seconds!),
          atRiskPercent: row.sla_at_risk_percent!,
          pauseStatuses: row.sla_pause_statuses ?? [],
          calendarId: row.sla_calendar_id,
        }
      : null,
    slaStatus: row.sla_status,
    slaStartedAt: row.sla_started_at,
    slaPaused: hasSla && open && !clock.runningSince,
    slaAtRiskAt: row.sla_at_risk_at,
    slaDeadline: row.sla_deadline,
    slaRemainingMs: remaining,
    slaBreachedAt: row.sla_breached_at,
    slaBreachMs:
      row.sla_breach_ms !== null
        ? Number(row.sla_breach_ms)
        : clock.breachedAt && open
          ? Math.round(breachMs({ calendar: calendar() }, clock, now))
          : null,
    stageId: row.stage_id,
    templateKey: row.template_key,
    completedAt: row.completed_at,
    completedBy: row.completed_at
      ? actorFromColumns(row.completed_by, row.completed_by_type, row.completed_by_id)
      : null,
    completionNote: row.completion_note,
    cancelledAt: row.cancelled_at,
    createdBy: actorFromColumns(row.actor, row.actor_type, row.actor_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
