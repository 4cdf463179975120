import type { AppServices } from '../app/services.js';
import type { TenantCaller } from '../http/request-context.js';
import { matchingLeadRefs } from '../leads/index.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { maxLeadsPerFilter, type QueueFilterInput, type QueueFilterResult } from './call-queue.schemas.js';
import { queueLeadsWithin } from './queue-leads.js';

const chunk = 1000;

/**
 * The bulk action on a leads-list filter: every lead it matches that the caller may change (at
 * most `maxLeadsPerFilter`, in lead order), queued in units of a thousand (a long segment does not
 * hold one transaction open); the counts of what was queued and skipped.
 */
export async function queueLeadsMatching(
  services: Pick<AppServices, 'queue' | 'servers' | 'logger'>,
  caller: Pick<TenantCaller, 'handle' | 'access' | 'actor'>,
  input: QueueFilterInput,
): Promise<QueueFilterResult> {
  const { handle, access, actor } = caller;
  const visibility = access.visibility('leads.write');
  const result: QueueFilterResult = {
    matched: 0,
    queued: 0,
    skipped: { already_queued: 0, do_not_call: 0, not_found: 0 },
    truncated: false,
  };
  let after = 0;
  while (result.matched < maxLeadsPerFilter) {
    const leads = await matchingLeadRefs(handle, visibility, input.filter, {
      afterNumber: after,
      untilNumber: Number.MAX_SAFE_INTEGER,
      limit: Math.min(chunk, maxLeadsPerFilter - result.matched + 1),
    });
    const taken = leads.slice(0, maxLeadsPerFilter - result.matched);
    if (leads.length > taken.length) result.truncated = true;
    if (taken.length === 0) break;
    const done = await inTenantTransaction(services, handle, (unit) =>
      queueLeadsWithin(unit, handle, {
        leadIds: taken.map((lead) => lead.id),
        priority: input.priority,
        campaign: input.campaign,
        actor,
        visibility,
        now: new Date(),
      }),
    );
    result.matched += taken.length;
    result.queued += done.queued.length;
    for (const skip of done.skipped) result.skipped[skip.reason]++;
    after = taken.at(-1)!.number;
    if (leads.length < chunk || result.truncated) break;
  }
  return result;
}
