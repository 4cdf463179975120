import type { Actor, Visibility } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import { leadTimezones } from '../call-rules/index.js';
import { leadVisibleTo } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { priorityRank, toQueueEntry } from './call-queue.repository.js';
import type { QueueLeadsResult } from './call-queue.schemas.js';
import type { CallPriority } from './dialer.tables.js';
import { scheduleDialerTick } from './dialer-schedule.js';

export interface QueueLeadsRequest {
  leadIds: readonly string[];
  priority: CallPriority;
  campaign?: string;
  actor: Actor;
  /** The leads the caller may change (`leads.write`); an automation passes every lead. */
  visibility: Visibility;
  now: Date;
}

/**
 * Puts leads in the call queue in `unit` (the route, a bulk action on a lead filter, a CSV
 * import, the `queue_call` automation action all come here). A lead is waiting at most once (a
 * partial unique index; a second request reports it `already_queued`); a do-not-call lead is
 * refused (`do_not_call`); each entry keeps its lead's candidate timezones for the calling-hours
 * rule. Wakes the dialer.
 */
export async function queueLeadsWithin(
  unit: TenantUnitOfWork<never>,
  handle: TenantHandle,
  request: QueueLeadsRequest,
): Promise<QueueLeadsResult> {
  const ids = [...new Set(request.leadIds)];
  const leads = await unit.trx
    .selectFrom('leads')
    .select(['leads.id', 'leads.phone', 'leads.do_not_call'])
    .where('leads.id', 'in', ids)
    .where('leads.archived_at', 'is', null)
    .where(leadVisibleTo(request.visibility))
    .execute();
  const listed = new Set(
    leads.length === 0
      ? []
      : (
          await unit.trx
            .selectFrom('do_not_call')
            .select('phone')
            .where(
              'phone',
              'in',
              leads.map((lead) => lead.phone),
            )
            .execute()
        ).map((row) => row.phone),
  );
  const skipped: QueueLeadsResult['skipped'] = [];
  const found = new Set(leads.map((lead) => lead.id));
  for (const id of ids) if (!found.has(id)) skipped.push({ leadId: id, reason: 'not_found' });
  const callable = leads.filter((lead) => {
    const refused = lead.do_not_call || listed.has(lead.phone);
    if (refused) skipped.push({ leadId: lead.id, reason: 'do_not_call' });
    return !refused;
  });
  if (callable.length === 0) return { queued: [], skipped };
  const values = await Promise.all(
    callable.map(async (lead) => ({
      lead_id: lead.id,
      campaign: request.campaign ?? 'default',
      priority: request.priority,
      priority_rank: priorityRank[request.priority],
      timezones: await leadTimezones(lead.phone, handle.tenant.timezone),
      queued_at: request.now,
      ...actorColumns(request.actor),
    })),
  );
  const inserted = await unit.trx
    .insertInto('call_queue')
    .values(values)
    .onConflict((conflict) =>
      conflict.column('lead_id').where('status', 'in', ['waiting', 'dialing']).doNothing(),
    )
    .returningAll()
    .execute();
  const queued = new Set(inserted.map((row) => row.lead_id));
  for (const lead of callable)
    if (!queued.has(lead.id)) skipped.push({ leadId: lead.id, reason: 'already_queued' });
  await scheduleDialerTick(unit, handle.tenant.id, request.now);
  return { queued: inserted.map(toQueueEntry), skipped };
}
