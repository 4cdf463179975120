import { assignLead } from '../assignment/index.js';
import { everyLead } from '../auth/access.js';
import type { LeadContext } from './lead-context.js';
import { loadIngestSettings } from './ingest-lead.js';
import { toLead } from './lead.mapper.js';
import { selectLeads } from './lead.repository.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';

/**
 * Gives waiting unassigned leads (oldest first) to agents who can take them now. Each lead
 * is claimed with SKIP LOCKED in its own short transaction, so concurrent runs share the
 * work instead of assigning a lead twice.
 */
export async function assignPendingLeads(
  ctx: LeadContext,
  limit = 500,
): Promise<{ examined: number; assigned: number; stillPending: number }> {
  const { handle, actor } = ctx;
  const { scoring, rules } = await loadIngestSettings(handle);
  const pending = await handle.db
    .selectFrom('leads')
    .select('id')
    .where('assigned_agent_id', 'is', null)
    .where('archived_at', 'is', null)
    .where((eb) =>
      eb.or([eb('unassigned_reason', 'is', null), eb('unassigned_reason', '<>', 'assignment_skipped')]),
    )
    .orderBy('created_at')
    .limit(limit)
    .execute();

  let assigned = 0;
  for (const { id } of pending) {
    const given = await inTenantTransaction({ leadEvents: ctx.events }, handle, async ({ trx, publish }) => {
      const lead = await selectLeads(trx, everyLead)
        .where('id', '=', id)
        .where('assigned_agent_id', 'is', null)
        .where('archived_at', 'is', null)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!lead) return false;
      const result = await assignLead(trx, handle, lead, rules, actor);
      if (!result.decision.agentId) return false;
      publish({
        name: 'lead.assigned',
        tenantId: handle.tenant.id,
        lead: toLead(result.lead, scoring.hotThreshold),
      });
      return true;
    });
    if (given) assigned++;
  }
  return { examined: pending.length, assigned, stillPending: pending.length - assigned };
}
