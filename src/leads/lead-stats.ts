import { sql } from 'kysely';
import { z } from 'zod';
import type { Visibility } from '../auth/access.js';
import { dateInput } from '../http/input-contract.js';
import { loadScoringSettings } from '../scoring/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { leadVisibleTo } from './lead-visibility.js';

export const leadStatsQuerySchema = z.object({
  from: dateInput().optional().meta({ description: 'Leads created at or after' }),
  to: dateInput().optional().meta({ description: 'Leads created at or before' }),
  assignedAgentId: z
    .union([z.uuid(), z.literal('unassigned')])
    .optional()
    .meta({ description: "Only this agent's leads (`unassigned`: only leads nobody owns)" }),
});
export type LeadStatsQuery = z.infer<typeof leadStatsQuerySchema>;

export const leadStatsSchema = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  bySource: z.record(z.string(), z.number().int()),
  byAgent: z.array(
    z.object({ agentId: z.uuid().nullable(), name: z.string().nullable(), count: z.number().int() }),
  ),
  won: z.number().int(),
  conversionRate: z.number().min(0).max(1).meta({
    description:
      'A fraction from 0 to 1 (not a percent): won / total over the range and filter; 0 when no lead matches',
    example: 0.125,
  }),
  averageScore: z.number().nullable(),
  hotLeads: z.number().int(),
});

/** Totals over the live leads `visibility` reaches created in the range. */
export async function leadStats(handle: TenantHandle, visibility: Visibility, range: LeadStatsQuery) {
  const { hotThreshold } = await loadScoringSettings(handle);
  const base = () => {
    let query = handle.db
      .selectFrom('leads')
      .where(leadVisibleTo(visibility))
      .where('leads.archived_at', 'is', null);
    if (range.from) query = query.where('leads.created_at', '>=', range.from);
    if (range.to) query = query.where('leads.created_at', '<=', range.to);
    if (range.assignedAgentId === 'unassigned') query = query.where('leads.assigned_agent_id', 'is', null);
    else if (range.assignedAgentId)
      query = query.where('leads.assigned_agent_id', '=', range.assignedAgentId);
    return query;
  };
  const [totals, byStatus, bySource, byAgent] = await Promise.all([
    base()
      .select([
        sql<number>`count(*)::int`.as('total'),
        sql<number>`count(*) filter (where status = 'won')::int`.as('won'),
        sql<number | null>`round(avg(score)::numeric, 2)::float8`.as('average'),
        sql<number>`count(*) filter (where score > ${hotThreshold})::int`.as('hot'),
      ])
      .executeTakeFirstOrThrow(),
    base()
      .select(['status', sql<number>`count(*)::int`.as('count')])
      .groupBy('status')
      .execute(),
    base()
      .select([sql<string>`coalesce(source, 'unknown')`.as('source'), sql<number>`count(*)::int`.as('count')])
      .groupBy(sql`coalesce(source, 'unknown')`)
      .execute(),
    base()
      .leftJoin('agents', 'agents.id', 'leads.assigned_agent_id')
      .select([
        'leads.assigned_agent_id as agentId',
        'agents.name as name',
        sql<number>`count(*)::int`.as('count'),
      ])
      .groupBy(['leads.assigned_agent_id', 'agents.name'])
      .orderBy('count', 'desc')
      .execute(),
  ]);
  return {
    total: totals.total,
    byStatus: Object.fromEntries(byStatus.map((row) => [row.status, row.count])),
    bySource: Object.fromEntries(bySource.map((row) => [row.source, row.count])),
    byAgent,
    won: totals.won,
    conversionRate: totals.total ? totals.won / totals.total : 0,
    averageScore: totals.average,
    hotLeads: totals.hot,
  };
}
