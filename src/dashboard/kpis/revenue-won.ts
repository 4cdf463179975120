import { sql } from 'kysely';
import { z } from 'zod';
import { currencySchema } from '../../deals/index.js';
import { leadVisibleTo } from '../../leads/index.js';
import { inEitherPeriod, isCurrent, iso, kpiOf, kpiSchema, ownerCondition, type KpiContext } from '../kpi.js';

/** A won deal stays won when marked closed or order_created (both follow won). */
export const wonStatuses = ['won', 'closed', 'order_created'] as const;

export const revenueRowSchema = kpiSchema.extend({
  owner: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  currency: currencySchema,
});

interface RevenueRow {
  owner_agent_id: string | null;
  owner_name: string | null;
  currency: string;
  current: boolean;
  amount: string | number;
}

/**
 * Per owner and currency, the amounts of the deals won in the period (status won, closed or
 * order_created, closed_at in the period); owners and currencies of either period. One statement.
 */
export async function revenueWon(ctx: KpiContext, pipelineId: string | undefined) {
  let query = ctx.db
    .selectFrom('deals')
    .leftJoin('agents', 'agents.id', 'deals.owner_agent_id')
    .select(['deals.owner_agent_id', 'agents.name as owner_name', 'deals.currency'])
    .select([
      isCurrent('deals.closed_at', ctx.periods).as('current'),
      sql<string>`sum(deals.amount)`.as('amount'),
    ])
    .where('deals.status', 'in', [...wonStatuses])
    .where(inEitherPeriod('deals.closed_at', ctx.periods))
    .where(leadVisibleTo(ctx.visibility, 'deals.owner_agent_id'))
    .where(ownerCondition(ctx, 'deals.owner_agent_id'))
    .groupBy(['deals.owner_agent_id', 'agents.name', 'deals.currency', 'current']);
  if (pipelineId) query = query.where('deals.pipeline_id', '=', pipelineId);
  const rows = (await query.execute()) as RevenueRow[];
  const groups = new Map<string, { owner: RevenueRow; current: number; previous: number }>();
  for (const row of rows) {
    const key = `${row.owner_agent_id ?? ''}|${row.currency}`;
    const group = groups.get(key) ?? { owner: row, current: 0, previous: 0 };
    group[row.current ? 'current' : 'previous'] += Number(row.amount);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        (a.owner.owner_name ?? '\uffff').localeCompare(b.owner.owner_name ?? '\uffff') ||
        (a.owner.owner_agent_id ?? '').localeCompare(b.owner.owner_agent_id ?? '') ||
        a.owner.currency.localeCompare(b.owner.currency),
    )
    .map(({ owner, current, previous }) => ({
      owner: owner.owner_agent_id ? { id: owner.owner_agent_id, name: owner.owner_name ?? '' } : null,
      currency: owner.currency,
      ...kpiOf(
        ctx,
        `Sum of the amounts (minor units) of the ${owner.currency} deals ${owner.owner_agent_id ? 'owned by this agent' : 'of no owner'}${pipelineId ? ' in the pipeline pipelineId' : ''} won in the period: status won, closed or order_created, closed (entered the won stage) from inclusive, to exclusive.`,
        { current, previous },
        (period) => ({
          path: '/api/crm/deals',
          query: {
            status: wonStatuses.join(','),
            closedFrom: iso(period.from),
            closedBefore: iso(period.to),
            ownerId: owner.owner_agent_id ?? 'unassigned',
            currency: owner.currency,
            ...(pipelineId ? { pipelineId } : {}),
          },
        }),
      ),
    }));
}
