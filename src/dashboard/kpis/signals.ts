import { sql } from 'kysely';
import { countPerPeriod, iso, ownerText, withOwner, type KpiContext, type KpiDefinition } from '../kpi.js';
import type { Period } from '../period.js';

const countSignals = (ctx: KpiContext, breachedOnly: boolean) =>
  countPerPeriod(
    ctx,
    'signals',
    'signals.opened_at',
    'signals.owner_agent_id',
    breachedOnly
      ? sql<boolean>`signals.status = 'pending' and signals.sla_deadline <= now()`
      : sql<boolean>`signals.status = 'pending'`,
  );

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
