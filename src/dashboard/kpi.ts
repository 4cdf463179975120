import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { leadVisibleTo } from '../leads/index.js';
import { z } from 'zod';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { Period, Periods } from './period.js';

/**
 * The dashboard's KPI contract (ARCHITECTURE.md "Dashboard"): a number for the period and for the
 * previous one, what exactly it counts, and the list query (`drilldown`) that returns exactly the
 * records counted (or summed) — the same conditions, the same visibility filter.
 */

export interface Drilldown {
  path: string;
  query: Record<string, string>;
}

export const drilldownSchema = z.object({
  path: z.string().meta({ example: '/api/crm/leads' }),
  query: z.record(z.string(), z.string()),
});

export const kpiSchema = z.object({
  value: z.number().nullable(),
  previous: z.number().nullable(),
  delta: z.number().nullable().meta({ description: 'value − previous (null when either is null)' }),
  deltaPercent: z
    .number()
    .nullable()
    .meta({ description: '(value − previous) / previous × 100; null when previous is 0 or null' }),
  definition: z.string().meta({ description: 'Exactly what is counted (or summed)' }),
  drilldown: drilldownSchema.meta({ description: 'The list query returning exactly the records of `value`' }),
  previousDrilldown: drilldownSchema.meta({ description: 'The same for `previous`' }),
});
export type Kpi = z.infer<typeof kpiSchema>;

/** A value in the period and in the previous one. */
export interface Measured {
  current: number | null;
  previous: number | null;
}

/** The query-wide filters every dashboard endpoint takes. */
export interface DashboardFilters {
  /** An agent profile's id, or `unassigned` (records of no owner). */
  ownerId?: string | undefined;
}

/** What a KPI is measured with: the tenant, the caller's visibility, the periods and the filters. */
export interface KpiContext {
  db: TenantDb;
  visibility: Visibility;
  periods: Periods;
  filters: DashboardFilters;
}

/** The numbers around a measure: delta and its percentage. */
export function compared(measured: Measured) {
  const { current, previous } = measured;
  const delta = current === null || previous === null ? null : current - previous;
  return {
    value: current,
    previous,
    delta,
    deltaPercent: delta === null || !previous ? null : (delta / previous) * 100,
  };
}

/** A KPI from its values, its definition and its drill-down for a period. */
export function kpiOf(
  ctx: Pick<KpiContext, 'periods'>,
  definition: string,
  measured: Measured,
  drilldown: (period: Period) => Drilldown,
): Kpi {
  return {
    ...compared(measured),
    definition,
    drilldown: drilldown(ctx.periods.current),
    previousDrilldown: drilldown(ctx.periods.previous),
  };
}

/**
 * A KPI of one number: one file declares what it counts (`definition`), the SQL of both periods
 * (`measure`, usually one statement with `periodCounts`) and the list query that returns exactly
 * those records (`drilldown`). The tasks and signals KPIs are added this way.
 */
export interface KpiDefinition {
  definition: (ctx: KpiContext) => string;
  measure: (ctx: KpiContext) => Promise<Measured>;
  drilldown: (period: Period, ctx: KpiContext) => Drilldown;
}

export async function evaluateKpi(kpi: KpiDefinition, ctx: KpiContext): Promise<Kpi> {
  return kpiOf(ctx, kpi.definition(ctx), await kpi.measure(ctx), (period) => kpi.drilldown(period, ctx));
}

const instant = (at: Date) => sql`${at.toISOString()}::timestamptz`;

/** `column` in [from, to). */
export function inPeriod(column: string, period: Period): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  return sql<SqlBool>`(${ref} >= ${instant(period.from)} and ${ref} < ${instant(period.to)})`;
}

/** `column` in either period: [previous.from, current.to) (the WHERE of a both-periods statement). */
export function inEitherPeriod(column: string, periods: Periods): RawBuilder<SqlBool> {
  return inPeriod(column, { from: periods.previous.from, to: periods.current.to });
}

/** Whether `column` falls in the current period (a GROUP BY key: true current, false previous). */
export function isCurrent(column: string, periods: Periods): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(column)} >= ${instant(periods.current.from)})`;
}

/** `count(*)` of the rows whose `column` is in each period, as `current` and `previous`. */
export function periodCounts(column: string, periods: Periods, also?: Expression<SqlBool>) {
  const extra = also ? sql` and ${also}` : sql``;
  return [
    sql<string>`count(*) filter (where ${inPeriod(column, periods.current)}${extra})`.as('current'),
    sql<string>`count(*) filter (where ${inPeriod(column, periods.previous)}${extra})`.as('previous'),
  ] as const;
}

/** A drill-down's instants and owner filter, as query parameters. */
export const iso = (at: Date) => at.toISOString();

/** Adds the owner filter of `ctx` to a drill-down query under the list's own parameter name. */
export function withOwner(
  query: Record<string, string>,
  ctx: KpiContext,
  parameter: 'agentId' | 'ownerId' | 'assigneeId',
) {
  return ctx.filters.ownerId ? { ...query, [parameter]: ctx.filters.ownerId } : query;
}

/** The owner filter of `ctx` in a KPI's definition (", unassigned", ", of the agent ownerId", or nothing). */
export const ownerText = (ctx: KpiContext) =>
  ctx.filters.ownerId === 'unassigned' ? ', unassigned' : ctx.filters.ownerId ? ', of the agent ownerId' : '';

/** The owner filter of `ctx` on `column`. */
export function ownerCondition(ctx: KpiContext, column: string): RawBuilder<SqlBool> {
  const { ownerId } = ctx.filters;
  if (!ownerId) return sql<SqlBool>`true`;
  return ownerId === 'unassigned'
    ? sql<SqlBool>`${sql.ref(column)} is null`
    : sql<SqlBool>`${sql.ref(column)} = ${ownerId}`;
}

/**
 * `count(*)` in each period of the rows of `table` the caller sees (by `ownerColumn`, narrowed by the
 * owner filter) whose `column` falls in the period and for which `also` holds: one statement.
 */
export async function countPerPeriod(
  ctx: KpiContext,
  table: 'leads' | 'tasks' | 'signals',
  column: string,
  ownerColumn: string,
  also: Expression<SqlBool> = sql<SqlBool>`true`,
): Promise<Measured> {
  const row = await (ctx.db as unknown as Kysely<any>)
    .selectFrom(table)
    .select(periodCounts(column, ctx.periods))
    .where(leadVisibleTo(ctx.visibility, ownerColumn))
    .where(ownerCondition(ctx, ownerColumn))
    .where(inEitherPeriod(column, ctx.periods))
    .where(also)
    .executeTakeFirstOrThrow();
  return { current: Number(row.current), previous: Number(row.previous) };
}
