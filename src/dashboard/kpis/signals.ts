import { sql } from 'kysely';
import { leadVisibleTo } from '../../leads/index.js';
import {
  inEitherPeriod,
  iso,
  ownerCondition,
  ownerText,
  periodCounts,
  withOwner,
  type KpiContext,
  type KpiDefinition,
} from '../kpi.js';
import type { Period } from '../period.js';

async function countSignals(ctx: KpiContext, breachedOnly: boolean) {
  const row = await ctx.db
    .selectFrom('signals')
    .select(periodCounts('signals.opened_at', ctx.periods))
    .where(leadVisibleTo(ctx.visibility, 'signals.owner_agent_id'))
    .where(ownerCondition(ctx, 'signals.owner_agent_id'))
    .where(inEitherPeriod('signals.opened_at', ctx.periods))
    .where('signals.status', '=', 'pending')
    .where(breachedOnly ? sql<boolean>`signals.sla_deadline <= now()` : sql<boolean>`true`)
    .executeTakeFirstOrThrow();
  return { current: Number(row.current), previous: Number(row.previous) };
}

const openedIn = (period: Period, ctx: KpiContext, extra: Record<string, string>) => ({
  path: '/api/crm/signals',
  query: withOwner({ openedFrom: iso(period.from), openedTo: iso(period.to), ...extra }, ctx, 'ownerId'),
});

export const pendingSignals: KpiDefinition = {
  definition: (ctx) =>
    `Signals opened in the period (from inclusive, to exclusive)${ownerText(ctx)} still pending now (nobody answered), among those you can see.`,
  measure: (ctx) => countSignals(ctx, false),
  drilldown: (period, ctx) => openedIn(period, ctx, { status: 'pending' }),
};

export const breachedSignals: KpiDefinition = {
  definition: (ctx) =>
    `Signals opened in the period (from inclusive, to exclusive)${ownerText(ctx)} still pending now with their SLA deadline passed, among those you can see.`,
  measure: (ctx) => countSignals(ctx, true),
  drilldown: (period, ctx) => openedIn(period, ctx, { breached: 'true' }),
};
