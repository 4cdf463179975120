import { sql } from 'kysely';
import type { AppServices } from '../app/services.js';
import { fireInternalTrigger } from '../automations/index.js';
import type { CronDefinition } from '../cron/cron-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forEachActiveTenant } from '../cron/for-each-tenant.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { recordRotting } from './rotting.js';

/** The calendar day of `at` in `timeZone`, as YYYY-MM-DD. */
export function dayIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const page = 500;

/**
 * Fires `lead_rotting` for every live lead that is rotting at `tick` (in a stage with a rotting
 * threshold, sat there longer than it since its stage entry or last activity), once per lead and
 * tenant-local day: the event key `lead_rotting:<leadId>:<YYYY-MM-DD>` (a lead already fired today
 * is skipped in the query, and the key refuses a second event). Each lead in its own unit of work.
 * Answers how many events were recorded (none when no rule listens to `lead_rotting`).
 */
export async function fireRottingLeads(
  services: AppServices,
  handle: TenantHandle,
  tick: Date,
): Promise<number> {
  const day = dayIn(tick, handle.tenant.timezone);
  const keyPrefix = `lead_rotting:`;
  let fired = 0;
  let after: string | null = null;
  for (;;) {
    let query = handle.db
      .selectFrom('leads')
      .innerJoin('pipeline_stages', 'pipeline_stages.id', 'leads.stage_id')
      .select([
        'leads.id',
        'leads.pipeline_id',
        'leads.stage_id',
        'leads.stage_entered_at',
        'leads.last_activity_at',
        'pipeline_stages.name as stage',
        'pipeline_stages.rotting_days',
      ])
      .where('leads.archived_at', 'is', null)
      .where('leads.stage_id', 'is not', null)
      .where(recordRotting('lead', true, tick))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('automation_events')
              .select('automation_events.id')
              .where(
                'automation_events.event_key',
                '=',
                sql<string>`${keyPrefix} || leads.id || ${`:${day}`}`,
              ),
          ),
        ),
      )
      .orderBy('leads.id')
      .limit(page);
    if (after) query = query.where('leads.id', '>', after);
    const rows = await query.execute();
    for (const lead of rows) {
      const result = await inTenantTransaction(services, handle, (unit) =>
        fireInternalTrigger(unit, services, handle, {
          trigger: 'lead_rotting',
          source: 'cron',
          key: `${keyPrefix}${lead.id}:${day}`,
          leadId: lead.id,
          variables: {
            leadId: lead.id,
            pipelineId: lead.pipeline_id,
            stageId: lead.stage_id,
            stage: lead.stage,
            rottingDays: lead.rotting_days,
            since: [lead.stage_entered_at, lead.last_activity_at]
              .filter((at): at is Date => at !== null)
              .reduce((a, b) => (a > b ? a : b))
              .toISOString(),
          },
        }),
      );
      if (result && !result.duplicate) fired++;
    }
    if (rows.length < page) return fired;
    after = rows[rows.length - 1]!.id;
  }
}

/** Daily: each active tenant's rotting leads fire `lead_rotting` (one event per lead per tenant-local day). */
export const leadRottingCron: CronDefinition = {
  name: 'pipelines.lead-rotting',
  schedule: '0 2 * * *',
  run: async (services, tick) => {
    await forEachActiveTenant(services, 'pipelines.lead-rotting', (handle) =>
      fireRottingLeads(services, handle, tick),
    );
  },
};
