import { sql } from 'kysely';
import { z } from 'zod';
import { leadVisibleTo } from '../../leads/index.js';
import {
  compared,
  inEitherPeriod,
  isCurrent,
  iso,
  kpiOf,
  ownerCondition,
  withOwner,
  type KpiContext,
} from '../kpi.js';
import type { Period } from '../period.js';
import { ratioKpiSchema } from './conversion-rate.js';

export const slaMetRowSchema = ratioKpiSchema.extend({
  assignee: z.object({ id: z.uuid(), name: z.string() }).nullable().optional(),
  team: z.object({ id: z.uuid(), name: z.string() }).optional(),
});

interface Counts {
  met: [number, number];
  all: [number, number];
}

const ratio = (numerator: number, denominator: number) => (denominator ? numerator / denominator : null);

/** The ratio KPI of one group: met / completed with an SLA, each with the list query of its tasks. */
function slaRatio(ctx: KpiContext, counts: Counts, narrow: Record<string, string>, whose: string) {
  const completedIn = (period: Period, extra: Record<string, string>) => ({
    path: '/api/crm/tasks',
    query: withOwner(
      { completedFrom: iso(period.from), completedTo: iso(period.to), ...narrow, ...extra },
      ctx,
      'assigneeId',
    ),
  });
  const numerator = kpiOf(
    ctx,
    `Tasks with an SLA${whose} completed in the period (from inclusive, to exclusive) before their SLA deadline.`,
    { current: counts.met[0], previous: counts.met[1] },
    (period) => completedIn(period, { slaMet: 'true' }),
  );
  const denominator = kpiOf(
    ctx,
    `Tasks with an SLA${whose} completed in the period (from inclusive, to exclusive).`,
    { current: counts.all[0], previous: counts.all[1] },
    (period) => completedIn(period, { hasSla: 'true', status: 'completed' }),
  );
  return {
    ...compared({
      current: ratio(counts.met[0], counts.all[0]),
      previous: ratio(counts.met[1], counts.all[1]),
    }),
    definition: `Of the tasks with an SLA${whose} completed in the period, the share completed within it (0 to 1): numerator / denominator.`,
    numerator,
    denominator,
  };
}

interface GroupRow {
  group_id: string | null;
  group_name: string | null;
  current: boolean;
  met: string | number;
  all: string | number;
}

function add(map: Map<string, { row: GroupRow; counts: Counts }>, row: GroupRow) {
  const key = row.group_id ?? '';
  const entry = map.get(key) ?? { row, counts: { met: [0, 0], all: [0, 0] } };
  const slot = row.current ? 0 : 1;
  entry.counts.met[slot] += Number(row.met);
  entry.counts.all[slot] += Number(row.all);
  map.set(key, entry);
  return map;
}

/**
 * SLA met % for the period and the previous one: overall, per assignee and per team (a task counts
 * in every team of its assignee's user). Two statements: per assignee (the overall is their sum),
 * per team.
 */
export async function slaMet(ctx: KpiContext) {
  const completedWithSla = (qb: any) =>
    qb
      .where('tasks.status', '=', 'completed')
      .where('tasks.sla_seconds', 'is not', null)
      .where(inEitherPeriod('tasks.completed_at', ctx.periods))
      .where(leadVisibleTo(ctx.visibility, 'tasks.assignee_agent_id'))
      .where(ownerCondition(ctx, 'tasks.assignee_agent_id'));
  const counts = [
    isCurrent('tasks.completed_at', ctx.periods).as('current'),
    sql<string>`count(*) filter (where tasks.sla_breached_at is null)`.as('met'),
    sql<string>`count(*)`.as('all'),
  ];
  const [byAssignee, byTeam] = await Promise.all([
    completedWithSla(
      ctx.db
        .selectFrom('tasks')
        .leftJoin('agents', 'agents.id', 'tasks.assignee_agent_id')
        .select(['tasks.assignee_agent_id as group_id', 'agents.name as group_name', ...counts]),
    )
      .groupBy(['tasks.assignee_agent_id', 'agents.name', 'current'])
      .execute() as Promise<GroupRow[]>,
    completedWithSla(
      ctx.db
        .selectFrom('tasks')
        .innerJoin('users', 'users.agent_id', 'tasks.assignee_agent_id')
        .innerJoin('team_members', 'team_members.user_id', 'users.id')
        .innerJoin('teams', 'teams.id', 'team_members.team_id')
        .select(['teams.id as group_id', 'teams.name as group_name', ...counts]),
    )
      .groupBy(['teams.id', 'teams.name', 'current'])
      .execute() as Promise<GroupRow[]>,
  ]);
  const assignees = byAssignee.reduce(add, new Map());
  const teams = byTeam.reduce(add, new Map());
  const total: Counts = { met: [0, 0], all: [0, 0] };
  for (const { counts: c } of assignees.values()) {
    for (const slot of [0, 1] as const) {
      total.met[slot] += c.met[slot];
      total.all[slot] += c.all[slot];
    }
  }
  const byName = (a: { row: GroupRow }, b: { row: GroupRow }) =>
    (a.row.group_name ?? '\uffff').localeCompare(b.row.group_name ?? '\uffff') ||
    (a.row.group_id ?? '').localeCompare(b.row.group_id ?? '');
  return {
    overall: slaRatio(ctx, total, {}, ''),
    byAssignee: [...assignees.values()].sort(byName).map(({ row, counts: c }) => ({
      assignee: row.group_id ? { id: row.group_id, name: row.group_name ?? '' } : null,
      ...slaRatio(
        ctx,
        c,
        { assigneeId: row.group_id ?? 'unassigned' },
        row.group_id ? ' assigned to this agent' : ' unassigned',
      ),
    })),
    byTeam: [...teams.values()].sort(byName).map(({ row, counts: c }) => ({
      team: { id: row.group_id!, name: row.group_name ?? '' },
      ...slaRatio(ctx, c, { teamId: row.group_id! }, ' assigned to a member of this team'),
    })),
  };
}
