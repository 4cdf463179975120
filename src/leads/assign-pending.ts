import { assignLead } from '../assignment/index.js';
import { retryOnDeadlock } from '../assignment/index.js';
import type { LeadContext } from './lead-context.js';
import { loadIngestSettings } from './ingest-lead.js';
import { toLead } from './lead.mapper.js';
import { selectLeads } from './lead.repository.js';

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
    const outcome = await retryOnDeadlock(() =>
      handle.db.transaction().execute(async (trx) => {
        const lead = await selectLeads(trx)
          .where('id', '=', id)
          .where('assigned_agent_id', 'is', null)
          .where('archived_at', 'is', null)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (!lead) return undefined;
        const result = await assignLead(trx, handle, lead, rules, actor);
        return result.decision.agentId ? result.lead : undefined;
      }),
    );
    if (outcome) {
      assigned++;
      ctx.events.publish([
        { name: 'lead.assigned', tenantId: handle.tenant.id, lead: toLead(outcome, scoring.hotThreshold) },
      ]);
    }
  }
  return { examined: pending.length, assigned, stillPending: pending.length - assigned };
}
