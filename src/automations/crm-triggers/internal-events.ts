import { sql, type SqlBool } from 'kysely';
import type { AppServices } from '../../app/services.js';
import type { LeadEventName } from '../../leads/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { findTenantById } from '../../tenancy/tenant-registry.js';
import { handledInline } from '../engine/automation-session.js';
import { loadEngineSettings, runEventWithin } from '../engine/handle-event.js';
import { watchedTriggers } from '../rules/rule.repository.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';

/**
 * Internal triggers from ordinary CRM activity (lead created, assigned, status changed,
 * tags) are captured by a trigger on `leads` into `automation_outbox`, in the transaction
 * that changes the lead (`automations/sql/automation_capture_lead_events.sql`: only the
 * triggers an active rule listens to). We chose that over enqueueing from the CRM's
 * use cases or from a LeadEvents listener: a listener runs after commit (a crash in
 * between loses the event), and enqueueing in each CRM use case would miss any future
 * code path that changes leads (bulk edits, imports). The outbox is drained here, one
 * entry per transaction (entry deleted with its runs, so each is handled once): at once
 * when this process publishes a lead event, and by the `automations.internal-events` cron
 * as the fallback for events from other processes or a crash.
 */
export async function drainInternalEvents(
  services: AppServices,
  handle: TenantHandle,
  limit = 500,
): Promise<{ handled: number; failed: number }> {
  const settings = await loadEngineSettings(handle);
  const triggersWithRules = new Set<string>(settings.automationRules.map((rule) => rule.trigger));
  let handled = await discardUnwatched(handle, [...triggersWithRules], limit);
  let failed = 0;
  let afterId = 0;
  while (handled + failed < limit) {
    let entryId: number | undefined;
    try {
      const outcome = await inTenantTransaction(services, handle, async (unit) => {
        const { trx } = unit;
        const entry = await trx
          .selectFrom('automation_outbox')
          .selectAll()
          .where('id', '>', afterId)
          .orderBy('id')
          .limit(1)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (!entry) return undefined;
        entryId = entry.id;
        await trx.deleteFrom('automation_outbox').where('id', '=', entry.id).execute();
        if (!triggersWithRules.has(entry.trigger)) return 'discarded';
        const lead = await trx
          .selectFrom('leads')
          .select('id')
          .where('id', '=', entry.lead_id)
          .executeTakeFirst();
        if (!lead) return 'discarded';
        await runEventWithin(unit, services, handle, settings, {
          trigger: entry.trigger,
          source: 'internal',
          key: null,
          leadId: entry.lead_id,
          variables: entry.variables,
        });
        return 'handled';
      });
      if (!outcome) break;
      handled++;
    } catch (error) {
      // Left in the outbox for the next sweep; this pass moves past it.
      if (entryId === undefined) throw error;
      failed++;
      services.logger.error(
        { err: error, tenant: handle.tenant.clientCode, entryId },
        'internal automation event failed',
      );
    }
    if (entryId !== undefined) afterId = entryId;
  }
  return { handled, failed };
}

/**
 * Entries whose trigger no active rule listens to have nothing to run: deleted in one
 * statement rather than one transaction each (most tenants watch few triggers).
 */
async function discardUnwatched(handle: TenantHandle, watched: string[], limit: number): Promise<number> {
  const result = await handle.db
    .deleteFrom('automation_outbox')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('automation_outbox')
        .select('id')
        .where(sql<SqlBool>`trigger <> all(${watched}::text[])`)
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The triggers the outbox captures (`automations/sql/automation_capture_lead_events.sql`), when an active rule watches them. */
const outboxTriggers = [
  'lead_created',
  'lead_assigned',
  'lead_status_changed',
  'deal_won',
  'deal_lost',
  'tag_added',
  'tag_removed',
];

const capturedEvents = new Set<LeadEventName>([
  'lead.created',
  'lead.assigned',
  'lead.status_changed',
  'lead.tags_added',
  'lead.tags_removed',
]);

/**
 * Drains a tenant's outbox as soon as this process publishes a lead event that may have
 * filled it: one drain per tenant at a time, and one more if events came in meanwhile.
 * The returned function unsubscribes and waits for the drains under way.
 */
export function drainOnLeadEvents(services: AppServices): () => Promise<void> {
  const running = new Map<string, { again: boolean; done: Promise<void> }>();
  const drain = async (tenantId: string) => {
    let handle = services.connections.cached(tenantId);
    if (!handle) {
      const tenant = await findTenantById(services.platform, tenantId);
      if (!tenant) return;
      handle = await services.connections.resolve(tenant);
    }
    // The outbox holds only what active rules watch (see that trigger function): mostly nothing.
    const watched = await watchedTriggers(handle);
    if (!outboxTriggers.some((trigger) => watched.has(trigger))) return;
    const pending = await handle.db.selectFrom('automation_outbox').select('id').limit(1).executeTakeFirst();
    if (pending) await drainInternalEvents(services, handle);
  };
  const drainWhileAsked = async (tenantId: string, state: { again: boolean }) => {
    try {
      while (state.again) {
        state.again = false;
        await drain(tenantId);
      }
    } finally {
      running.delete(tenantId);
    }
  };
  const unsubscribe = services.leadEvents.subscribe((event) => {
    const { name, tenantId } = event;
    if (!capturedEvents.has(name) || handledInline.has(event)) return;
    const state = running.get(tenantId);
    if (state) {
      state.again = true;
      return;
    }
    const current = { again: true, done: Promise.resolve() };
    running.set(tenantId, current);
    current.done = drainWhileAsked(tenantId, current);
    return current.done;
  });
  return async () => {
    unsubscribe();
    await Promise.allSettled([...running.values()].map((state) => state.done));
  };
}
