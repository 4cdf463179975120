import { sql } from 'kysely';
import { countPerPeriod, iso, ownerText, withOwner, type KpiContext, type KpiDefinition } from '../kpi.js';
import type { Period } from '../period.js';

/** The leads created in a period (archived or not), and those of them converted into a contact. */
const measureLeads = (ctx: KpiContext, convertedOnly: boolean) =>
  countPerPeriod(
    ctx,
    'leads',
    'leads.created_at',
    'leads.assigned_agent_id',
    convertedOnly ? sql<boolean>`leads.contact_id is not null` : undefined,
  );

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
