import type { AppServices } from '../../app/services.js';
import { everyLead } from '../../auth/access.js';
import type { JobContext, JobKind, JobPayloads } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { agentRoom } from '../../leads/index.js';
import { toLead } from '../../leads/index.js';
import { selectLeads } from '../../leads/index.js';
import { loadScoringSettings } from '../../scoring/index.js';

export const followUpReminderJobKind = 'automation.follow_up_reminder' as const satisfies JobKind;

export type FollowUpReminderPayload = JobPayloads['automation.follow_up_reminder'];

/** Tells the lead's owner, in their realtime room, that a follow-up is due. */
export async function remindFollowUp(
  ctx: JobContext<FollowUpReminderPayload, Pick<AppServices, 'realtime'>>,
) {
  const { leadId, agentId, followUpAt } = ctx.job.payload;
  const row = await selectLeads(ctx.handle.db, everyLead).where('id', '=', leadId).executeTakeFirst();
  if (!row) throw new PermanentJobError(`No lead ${leadId}`, 'not_found');
  const lead = toLead(row, (await loadScoringSettings(ctx.handle)).hotThreshold);
  ctx.services.realtime.emitToTenantRoom(ctx.handle.tenant.id, agentRoom(agentId), 'lead.follow_up_due', {
    lead,
    followUpAt,
  });
  return { notified: agentId };
}
