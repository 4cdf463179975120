import { sql } from 'kysely';
import { leadVisibleTo } from '../../leads/index.js';
import {
  iso,
  ownerCondition,
  ownerText,
  periodCounts,
  inEitherPeriod,
  withOwner,
  type KpiContext,
  type KpiDefinition,
} from '../kpi.js';
import type { Period } from '../period.js';

/** The leads created in a period (archived or not), and those of them converted into a contact. */
async function measureLeads(ctx: KpiContext, convertedOnly: boolean) {
  const row = await ctx.db
    .selectFrom('leads')
    .select(periodCounts('leads.created_at', ctx.periods))
    .where(leadVisibleTo(ctx.visibility))
    .where(ownerCondition(ctx, 'leads.assigned_agent_id'))
    .where(inEitherPeriod('leads.created_at', ctx.periods))
    .where(convertedOnly ? sql<boolean>`leads.contact_id is not null` : sql<boolean>`true`)
    .executeTakeFirstOrThrow();
  return { current: Number(row.current), previous: Number(row.previous) };
}

const createdIn = (period: Period, ctx: KpiContext) =>
  withOwner(
    { createdFrom: iso(period.from), createdBefore: iso(period.to), archived: 'all' },
    ctx,
    'agentId',
  );

export const newLeads: KpiDefinition = {
  definition: (ctx) =>
    `Leads created in the period (from inclusive, to exclusive), archived ones included${ownerText(ctx)}, among those you can see.`,
  measure: (ctx) => measureLeads(ctx, false),
  drilldown: (period, ctx) => ({ path: '/api/crm/leads', query: createdIn(period, ctx) }),
};

export const convertedLeads: KpiDefinition = {
  definition: (ctx) =>
    `Leads created in the period (from inclusive, to exclusive), archived ones included${ownerText(ctx)}, that have been converted into a contact (by now), among those you can see.`,
  measure: (ctx) => measureLeads(ctx, true),
  drilldown: (period, ctx) => ({
    path: '/api/crm/leads',
    query: { ...createdIn(period, ctx), converted: 'true' },
  }),
};
