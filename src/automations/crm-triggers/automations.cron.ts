import { sql } from 'kysely';
import { Access } from '../../auth/access.js';
import { systemActor } from '../../auth/actors.js';
import type { AppServices } from '../../app/services.js';
import type { CronDefinition } from '../../cron/cron-types.js';
import { assignPendingLeads } from '../../leads/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { forEachActiveTenant } from '../../cron/for-each-tenant.js';
import { followUpReminderJobKind, type FollowUpReminderPayload } from './follow-up-reminder.job.js';
import { loadEngineSettings, runEventWithin } from '../engine/handle-event.js';
import { drainInternalEvents } from './internal-events.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';

/** Follow-ups further in the past than this are not fired late (e.g. after a long outage). */
const followUpLookbackMs = 24 * 3_600_000;

const followUpKey = (leadId: string, at: Date) => `follow_up:${leadId}:${at.getTime()}`;

/**
 * Fires `follow_up_due` once per lead and follow-up time (the event key), and queues a
 * reminder to the lead's owner in the same transaction. Follow-up times are instants
 * (entered in the tenant's timezone and stored as such), so "due" needs no timezone.
 */
export async function fireDueFollowUps(
  services: AppServices,
  handle: TenantHandle,
  tick: Date,
): Promise<number> {
  const settings = await loadEngineSettings(handle);
  const due = await handle.db
    .selectFrom('leads')
    .select(['id', 'follow_up_at', 'assigned_agent_id'])
    .where('archived_at', 'is', null)
    .where('follow_up_at', '<=', tick)
    .where('follow_up_at', '>', new Date(tick.getTime() - followUpLookbackMs))
    .where(
      sql<boolean>`not exists (select 1 from ${sql.id(handle.schema, 'automation_events')} e
        where e.event_key = 'follow_up:' || leads.id || ':' || round(extract(epoch from leads.follow_up_at) * 1000)::bigint)`,
    )
    .orderBy('follow_up_at')
    .limit(500)
    .execute();
  let fired = 0;
  for (const lead of due) {
    const at = lead.follow_up_at!;
    const key = followUpKey(lead.id, at);
    const ran = await inTenantTransaction(services, handle, async (unit) => {
      const result = await runEventWithin(unit, services, handle, settings, {
        trigger: 'follow_up_due',
        source: 'cron',
        key,
        leadId: lead.id,
        variables: { followUpAt: at.toISOString() },
      });
      if (result.duplicate) return false;
      if (lead.assigned_agent_id) {
        const payload: FollowUpReminderPayload = {
          leadId: lead.id,
          agentId: lead.assigned_agent_id,
          followUpAt: at.toISOString(),
        };
        await unit.enqueue({
          tenantId: handle.tenant.id,
          kind: followUpReminderJobKind,
          payload,
          options: { idempotencyKey: key },
        });
      }
      return true;
    });
    if (ran) fired++;
  }
  return fired;
}

/** Fires the appointment reminders that are due, each once (claimed with SKIP LOCKED, then marked). */
export async function fireDueReminders(
  services: AppServices,
  handle: TenantHandle,
  tick: Date,
): Promise<number> {
  const settings = await loadEngineSettings(handle);
  let fired = 0;
  for (;;) {
    const outcome = await inTenantTransaction(services, handle, async (unit) => {
      const { trx } = unit;
      const reminder = await trx
        .selectFrom('automation_reminders')
        .selectAll()
        .where('fired_at', 'is', null)
        .where('fire_at', '<=', tick)
        .orderBy('fire_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!reminder) return undefined;
      await trx
        .updateTable('automation_reminders')
        .set({ fired_at: new Date() })
        .where('id', '=', reminder.id)
        .execute();
      return runEventWithin(unit, services, handle, settings, {
        trigger: 'appointment_reminder',
        source: 'cron',
        key: `reminder:${reminder.id}`,
        phone: reminder.phone,
        leadId: reminder.lead_id,
        variables: reminder.variables,
        onlyRuleId: reminder.rule_id,
      });
    });
    if (!outcome) return fired;
    fired++;
  }
}

export const followUpsCron: CronDefinition = {
  name: 'automations.follow-ups',
  schedule: '* * * * *',
  run: (services, tick) =>
    forEachActiveTenant(services, 'automations.follow-ups', (handle) =>
      fireDueFollowUps(services, handle, tick),
    ),
};

export const appointmentRemindersCron: CronDefinition = {
  name: 'automations.appointment-reminders',
  schedule: '* * * * *',
  run: (services, tick) =>
    forEachActiveTenant(services, 'automations.appointment-reminders', (handle) =>
      fireDueReminders(services, handle, tick),
    ),
};

/** Offers waiting unassigned leads again (the CRM's assign-pending: tenant-local hours and limits). */
export const assignPendingCron: CronDefinition = {
  name: 'automations.assign-pending',
  schedule: '*/5 * * * *',
  run: (services) =>
    forEachActiveTenant(services, 'automations.assign-pending', (handle) =>
      assignPendingLeads({
        handle,
        actor: systemActor('automation: retry unassigned'),
        access: Access.tenantWide(),
        events: services.leadEvents,
        services,
      }),
    ),
};

/** The fallback drain of internal events (see internal-events.ts). */
export const internalEventsCron: CronDefinition = {
  name: 'automations.internal-events',
  schedule: '* * * * *',
  run: (services) =>
    forEachActiveTenant(services, 'automations.internal-events', (handle) =>
      drainInternalEvents(services, handle),
    ),
};

export const automationCron = [
  followUpsCron,
  appointmentRemindersCron,
  assignPendingCron,
  internalEventsCron,
];
