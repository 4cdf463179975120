import type { Selectable } from 'kysely';
import { calendarForAgent, durationMsOf, workingCalendarOf } from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { SlaTerms } from './sla-clock.js';
import { matchingPolicy, requirePolicy, type SlaPolicyRow } from './sla-policy.repository.js';
import type { TaskPriority, TasksTable, TaskStatus, TaskType } from './tasks.tables.js';
import { slaCalendars } from './task.repository.js';

/** The SLA a task gets, as its row stores it, with the calendar it runs on. */
export interface TaskSla {
  policyId: string | null;
  seconds: number;
  atRiskPercent: number;
  pauseStatuses: TaskStatus[];
  /** null: the tenant default calendar. */
  calendarId: string | null;
  terms: SlaTerms;
}

export const defaultAtRiskPercent = 20;
export const defaultPauseStatuses: TaskStatus[] = ['waiting'];

/** What a task asks for: an explicit duration, no SLA (null), a named policy, or (nothing) the matching policy. */
export interface SlaRequest {
  sla?: string | null;
  slaPolicyId?: string;
  type: TaskType;
  priority: TaskPriority;
}

/**
 * The SLA a new task (or a task given a new SLA) gets: an explicit duration (at risk at 20 % left,
 * paused while waiting), a named policy, else the most specific policy matching its type and
 * priority; none when `sla` is null or nothing matches. It runs on the policy's calendar, else on
 * the assignee's (their team's calendar, else the tenant default).
 */
export async function resolveSla(
  handle: TenantHandle,
  trx: TenantDb,
  request: SlaRequest,
  assigneeId: string | null,
): Promise<TaskSla | null> {
  if (request.sla === null) return null;
  let policy: SlaPolicyRow | undefined;
  if (request.sla === undefined) {
    policy = request.slaPolicyId
      ? await requirePolicy(trx, request.slaPolicyId)
      : await matchingPolicy(trx, request.type, request.priority);
    if (!policy) return null;
  }
  const calendar = policy?.calendar_id
    ? { id: policy.calendar_id, working: (await slaCalendars(handle, trx))(policy.calendar_id) }
    : await calendarForAgent(handle, assigneeId, trx).then((c) => ({
        id: c.id,
        working: workingCalendarOf(c),
      }));
  const seconds = policy ? policy.sla_seconds : Math.max(1, Math.round(durationMsOf(request.sla!)! / 1000));
  const atRiskPercent = policy?.at_risk_percent ?? defaultAtRiskPercent;
  const pauseStatuses = policy?.pause_statuses ?? defaultPauseStatuses;
  return {
    policyId: policy?.id ?? null,
    seconds,
    atRiskPercent,
    pauseStatuses,
    calendarId: calendar.id,
    terms: { slaMs: seconds * 1000, atRiskPercent, pauseStatuses, calendar: calendar.working },
  };
}

/** The terms a stored task's SLA runs under (null: it has none). */
export async function storedTerms(
  handle: TenantHandle,
  trx: TenantDb,
  row: Selectable<TasksTable>,
): Promise<SlaTerms | null> {
  if (row.sla_seconds === null) return null;
  return {
    slaMs: row.sla_seconds * 1000,
    atRiskPercent: row.sla_at_risk_percent ?? defaultAtRiskPercent,
    pauseStatuses: row.sla_pause_statuses ?? defaultPauseStatuses,
    calendar: (await slaCalendars(handle, trx))(row.sla_calendar_id),
  };
}
