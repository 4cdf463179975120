import { sql } from 'kysely';
import { countPerPeriod, iso, ownerText, withOwner, type KpiContext, type KpiDefinition } from '../kpi.js';
import type { Period } from '../period.js';

const openStatuses = ['pending', 'in_progress', 'waiting'] as const;

/** Tasks whose `column` falls in each period and that are in one of `statuses` now. */
const countTasks = (ctx: KpiContext, column: 'created_at' | 'due_at', statuses: readonly string[]) =>
  countPerPeriod(
    ctx,
    'tasks',
    `tasks.${column}`,
    'tasks.assignee_agent_id',
    sql<boolean>`tasks.status = any(${[...statuses]}::text[])`,
  );

const tasksQuery = (query: Record<string, string>, ctx: KpiContext) => ({
  path: '/api/crm/tasks',
  query: withOwner(query, ctx, 'assigneeId'),
});

export const openTasks: KpiDefinition = {
  definition: (ctx) =>
    `Tasks created in the period (from inclusive, to exclusive)${ownerText(ctx)} that are still open now (pending, in progress or waiting), among those you can see (by assignee).`,
  measure: (ctx) => countTasks(ctx, 'created_at', openStatuses),
  drilldown: (period: Period, ctx) =>
    tasksQuery(
      { createdFrom: iso(period.from), createdTo: iso(period.to), status: openStatuses.join(',') },
      ctx,
    ),
};

export const overdueTasks: KpiDefinition = {
  definition: (ctx) =>
    `Tasks due in the period (from inclusive, to exclusive)${ownerText(ctx)} that are overdue now (their due time passed, not completed or cancelled), among those you can see (by assignee).`,
  measure: (ctx) => countTasks(ctx, 'due_at', ['overdue']),
  drilldown: (period: Period, ctx) =>
    tasksQuery({ dueFrom: iso(period.from), dueTo: iso(period.to), status: 'overdue' }, ctx),
};
