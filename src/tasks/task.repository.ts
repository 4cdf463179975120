import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import {
  loadCalendars,
  workingCalendarOf,
  defaultCalendar,
  type WorkingCalendar,
} from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { leadVisibleTo } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { toTask, type TaskRow } from './task.mapper.js';
import type { Task, TaskListQuery } from './task.schemas.js';
import { isUuid } from '../http/uuid.js';

/**
 * The tasks `visibility` reaches, by their assignee (as leads by their owner: the one visibility
 * filter; an unassigned task only to a caller who sees every lead), with the assignee's name.
 */
export function selectTasks(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('tasks')
    .selectAll('tasks')
    .select((eb) =>
      eb
        .selectFrom('agents')
        .select('agents.name')
        .whereRef('agents.id', '=', 'tasks.assignee_agent_id')
        .as('assignee_name'),
    )
    .where(leadVisibleTo(visibility, 'tasks.assignee_agent_id'));
}

/** A visible task by id or ref (`T-n`). */
export async function findTaskRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<TaskRow | undefined> {
  let query = selectTasks(db, visibility);
  if (options.forUpdate) query = query.forUpdate();
  if (isUuid(idOrRef)) return query.where('tasks.id', '=', idOrRef).executeTakeFirst();
  const number = /^T-(\d{1,18})$/i.exec(idOrRef)?.[1];
  return number ? query.where('tasks.number', '=', number).executeTakeFirst() : undefined;
}

/** The calendars SLAs run on, by id (null or a deleted one: the tenant default), for one read. */
export async function slaCalendars(
  handle: TenantHandle,
  db: TenantDb = handle.db,
): Promise<(id: string | null) => WorkingCalendar> {
  const [calendars, fallback] = await Promise.all([loadCalendars(handle, db), defaultCalendar(handle, db)]);
  const byId = new Map(calendars.map((c) => [c.id, workingCalendarOf(c)]));
  const standard = workingCalendarOf(fallback);
  return (id) => (id ? (byId.get(id) ?? standard) : standard);
}

const byId = ['tasks.id', 'uuid'] as const;

function taskKeyset(sort: TaskListQuery['sort'], order: 'asc' | 'desc'): Keyset {
  const first =
    sort === 'dueAt'
      ? ([sql`coalesce(tasks.due_at, '9999-12-31T00:00:00Z'::timestamptz)`, 'timestamp'] as const)
      : sort === 'slaDeadline'
        ? ([sql`coalesce(tasks.sla_deadline, '9999-12-31T00:00:00Z'::timestamptz)`, 'timestamp'] as const)
        : (['tasks.created_at', 'timestamp'] as const);
  return { list: `tasks:${sort}:${order}`, columns: [first, byId], direction: order };
}

/** The filtered, visible tasks (see `GET /api/crm/tasks`), one page and the total. */
export async function listTasks(
  handle: TenantHandle,
  visibility: Visibility,
  query: TaskListQuery & { limit: number; cursor?: string },
  now = new Date(),
): Promise<Page<Task> & { total: number }> {
  const db = handle.db;
  let base = selectTasks(db, visibility);
  if (query.status) base = base.where('tasks.status', 'in', query.status);
  if (query.type) base = base.where('tasks.type', 'in', query.type);
  if (query.priority) base = base.where('tasks.priority', 'in', query.priority);
  if (query.slaStatus) base = base.where('tasks.sla_status', 'in', query.slaStatus);
  if (query.assigneeId === 'unassigned') base = base.where('tasks.assignee_agent_id', 'is', null);
  else if (query.assigneeId) base = base.where('tasks.assignee_agent_id', '=', query.assigneeId);
  if (query.teamId) {
    const teamId = query.teamId;
    base = base.where('tasks.assignee_agent_id', 'in', (eb) =>
      eb
        .selectFrom('team_members')
        .innerJoin('users', 'users.id', 'team_members.user_id')
        .select('users.agent_id')
        .where('team_members.team_id', '=', teamId)
        .where('users.agent_id', 'is not', null),
    );
  }
  if (query.leadId) base = base.where('tasks.lead_id', '=', query.leadId);
  if (query.contactId) base = base.where('tasks.contact_id', '=', query.contactId);
  if (query.dealId) base = base.where('tasks.deal_id', '=', query.dealId);
  if (query.stageId) base = base.where('tasks.stage_id', '=', query.stageId);
  if (query.dueFrom) base = base.where('tasks.due_at', '>=', query.dueFrom);
  if (query.dueTo) base = base.where('tasks.due_at', '<', query.dueTo);
  if (query.createdFrom) base = base.where('tasks.created_at', '>=', query.createdFrom);
  if (query.createdTo) base = base.where('tasks.created_at', '<', query.createdTo);
  if (query.completedFrom) base = base.where('tasks.completed_at', '>=', query.completedFrom);
  if (query.completedTo) base = base.where('tasks.completed_at', '<', query.completedTo);
  if (query.hasSla !== undefined) {
    base = base.where('tasks.sla_seconds', query.hasSla ? 'is not' : 'is', null);
  }
  if (query.slaMet !== undefined) {
    base = base
      .where('tasks.status', '=', 'completed')
      .where('tasks.sla_seconds', 'is not', null)
      .where('tasks.sla_breached_at', query.slaMet ? 'is' : 'is not', null);
  }
  const calendarOf = await slaCalendars(handle);
  return pageWithTotal(base, taskKeyset(query.sort, query.order), query, (row) =>
    toTask(row as TaskRow, now, calendarOf),
  );
}
