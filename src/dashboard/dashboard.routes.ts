import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import type { KpiContext } from './kpi.js';
import { evaluateKpi, kpiSchema } from './kpi.js';
import { conversionRate, ratioKpiSchema } from './kpis/conversion-rate.js';
import { funnel, funnelStageSchema } from './kpis/funnel.js';
import { newLeads } from './kpis/new-leads.js';
import { dashboardPipeline, type DashboardPipeline } from './kpis/pipeline-of.js';
import { revenueRowSchema, revenueWon } from './kpis/revenue-won.js';
import { breachedSignals, pendingSignals } from './kpis/signals.js';
import { slaMet, slaMetRowSchema } from './kpis/sla-met.js';
import { openTasks, overdueTasks } from './kpis/tasks.js';
import { stageTimeSchema, timeInStage } from './kpis/time-in-stage.js';
import { periodQuery, periodSchema, resolvePeriods } from './period.js';

const tag = 'Dashboard';

const filterQuery = {
  ...periodQuery,
  ownerId: z
    .union([z.uuid(), z.literal('unassigned')])
    .optional()
    .meta({ description: "Only records of this owner (an agent profile's id), or unassigned ones" }),
};
const pipelineQuery = {
  pipelineId: z
    .uuid()
    .optional()
    .meta({ description: "A lead or deal pipeline; default: the tenant's default deal pipeline" }),
};

const periodsSchema = { period: periodSchema, previousPeriod: periodSchema };
const pipelineSchema = z.object({ id: z.uuid(), kind: z.enum(['lead', 'deal']), name: z.string() });

type Filters = z.infer<z.ZodObject<typeof filterQuery>>;

function contextOf(req: Parameters<typeof callerOf>[0], query: Filters): KpiContext {
  const { handle, access } = callerOf(req);
  return {
    db: handle.db,
    visibility: access.visibility('leads.read'),
    periods: resolvePeriods(query, handle.tenant.timezone),
    filters: { ownerId: query.ownerId },
  };
}

const periodsOf = (ctx: KpiContext) => ({
  period: ctx.periods.current,
  previousPeriod: ctx.periods.previous,
});

/** A per-stage answer about a pipeline (the tenant's default deal pipeline unless named). */
async function perStage<S>(
  ctx: KpiContext,
  pipelineId: string | undefined,
  stagesOf: (ctx: KpiContext, pipeline: DashboardPipeline) => Promise<S[]>,
) {
  const pipeline = await dashboardPipeline(ctx.db, pipelineId);
  return {
    ...periodsOf(ctx),
    pipeline: { id: pipeline.id, kind: pipeline.kind, name: pipeline.name },
    stages: await stagesOf(ctx, pipeline),
  };
}

export function registerDashboardRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dashboard/leads',
      tag,
      summary: 'New leads and their conversion rate, for a period and the previous one, with drill-downs',
      query: z.object(filterQuery),
      response: z.object({ ...periodsSchema, newLeads: kpiSchema, conversionRate: ratioKpiSchema }),
      handler: async ({ req, query }) => {
        const ctx = contextOf(req, query);
        const [leads, conversion] = await Promise.all([evaluateKpi(newLeads, ctx), conversionRate(ctx)]);
        return { ...periodsOf(ctx), newLeads: leads, conversionRate: conversion };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dashboard/funnel',
      tag,
      summary:
        "A pipeline's funnel from stage history: per stage the records that entered it, their value, the drop-off",
      query: z.object({ ...filterQuery, ...pipelineQuery }),
      response: z.object({ ...periodsSchema, pipeline: pipelineSchema, stages: z.array(funnelStageSchema) }),
      errors: { 404: 'No such lead or deal pipeline' },
      handler: ({ req, query }) => perStage(contextOf(req, query), query.pipelineId, funnel),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dashboard/time-in-stage',
      tag,
      summary: "A pipeline's average time in each stage, over the records that left it in the period",
      query: z.object({ ...filterQuery, ...pipelineQuery }),
      response: z.object({ ...periodsSchema, pipeline: pipelineSchema, stages: z.array(stageTimeSchema) }),
      errors: { 404: 'No such lead or deal pipeline' },
      handler: ({ req, query }) => perStage(contextOf(req, query), query.pipelineId, timeInStage),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dashboard/revenue',
      tag,
      summary: 'Revenue won per owner and currency, for a period and the previous one',
      query: z.object({
        ...filterQuery,
        pipelineId: z.uuid().optional().meta({ description: 'Only deals of this pipeline' }),
      }),
      response: z.object({ ...periodsSchema, owners: z.array(revenueRowSchema) }),
      handler: async ({ req, query }) => {
        const ctx = contextOf(req, query);
        return { ...periodsOf(ctx), owners: await revenueWon(ctx, query.pipelineId) };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dashboard/work',
      tag,
      summary:
        'Tasks open and overdue, SLA met % (overall, per assignee, per team), signals pending and breached, with drill-downs',
      query: z.object(filterQuery),
      response: z.object({
        ...periodsSchema,
        openTasks: kpiSchema,
        overdueTasks: kpiSchema,
        slaMet: z.object({
          overall: ratioKpiSchema,
          byAssignee: z.array(slaMetRowSchema),
          byTeam: z.array(slaMetRowSchema),
        }),
        pendingSignals: kpiSchema,
        breachedSignals: kpiSchema,
      }),
      handler: async ({ req, query }) => {
        const ctx = contextOf(req, query);
        const [open, overdue, sla, pending, breached] = await Promise.all([
          evaluateKpi(openTasks, ctx),
          evaluateKpi(overdueTasks, ctx),
          slaMet(ctx),
          evaluateKpi(pendingSignals, ctx),
          evaluateKpi(breachedSignals, ctx),
        ]);
        return {
          ...periodsOf(ctx),
          openTasks: open,
          overdueTasks: overdue,
          slaMet: sla,
          pendingSignals: pending,
          breachedSignals: breached,
        };
      },
    });
}
