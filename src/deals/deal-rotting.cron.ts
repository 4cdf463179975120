import { sql } from 'kysely';
import type { AppServices } from '../app/services.js';
import { fireInternalTrigger, loadEngineSettings } from '../automations/index.js';
import type { CronDefinition } from '../cron/cron-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forEachActiveTenant } from '../cron/for-each-tenant.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { dealRef } from './deal.mapper.js';

/** The tenant-local calendar date of `at` (YYYY-MM-DD). */
export function tenantDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/**
 * Fires `deal_rotting` for each open rotting deal of the tenant, once per deal and tenant-local day
 * (the event key `deal_rotting:<dealId>:<YYYY-MM-DD>`), each in its own unit of work. Nothing is
 * read when no active rule listens to the trigger.
 */
export async function fireRottingDeals(
  services: Pick<AppServices, 'leadEvents' | 'queue' | 'servers'>,
  handle: TenantHandle,
  tick: Date,
): Promise<number> {
  const date = tenantDate(tick, handle.tenant.timezone);
  const settings = await loadEngineSettings(handle);
  if (!settings.automationRules.some((rule) => rule.trigger === 'deal_rotting')) return 0;
  const rotting = await handle.db
    .selectFrom('deals')
    .innerJoin('pipeline_stages as stage', 'stage.id', 'deals.stage_id')
    .select([
      'deals.id',
      'deals.number',
      'deals.title',
      'deals.lead_id',
      'deals.amount',
      'deals.currency',
      'deals.stage_entered_at',
      'deals.last_activity_at',
      'stage.name as stage_name',
      'stage.rotting_days',
    ])
    .where('deals.status', '=', 'open')
    // `dealRotting`, at the tick's time rather than the statement's.
    .where('stage.rotting_days', 'is not', null)
    .where(
      sql<boolean>`greatest(deals.stage_entered_at, deals.last_activity_at) < ${tick}::timestamptz - stage.rotting_days * interval '1 day'`,
    )
    .where(
      sql<boolean>`not exists (select 1 from ${sql.id(handle.schema, 'automation_events')} e
        where e.event_key = 'deal_rotting:' || deals.id || ':' || ${date})`,
    )
    .orderBy('deals.id')
    .execute();
  let fired = 0;
  for (const deal of rotting) {
    const result = await inTenantTransaction(services, handle, (unit) =>
      fireInternalTrigger(unit, services, handle, {
        trigger: 'deal_rotting',
        leadId: deal.lead_id,
        key: `deal_rotting:${deal.id}:${date}`,
        source: 'cron',
        variables: {
          dealId: deal.id,
          dealRef: dealRef(deal.number),
          title: deal.title,
          amount: Number(deal.amount),
          currency: deal.currency,
          stage: deal.stage_name,
          rottingDays: deal.rotting_days,
          stageEnteredAt: deal.stage_entered_at.toISOString(),
          lastActivityAt: deal.last_activity_at.toISOString(),
        },
      }),
    );
    // No rule listens: nothing to fire for the other deals either.
    if (result === null) break;
    if (!result.duplicate) fired++;
  }
  return fired;
}

export const dealRottingCron: CronDefinition = {
  name: 'deals.rotting',
  // Hourly: each deal fires once per tenant-local day (the key), soon after that day starts.
  schedule: '7 * * * *',
  async run(services, tick) {
    await forEachActiveTenant(services, 'deals.rotting', (handle) =>
      fireRottingDeals(services, handle, tick),
    );
  },
};
