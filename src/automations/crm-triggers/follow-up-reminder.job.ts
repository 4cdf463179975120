import type { JobContext, JobDefinition } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { agentRoom } from '../../leads/index.js';
import { toLead } from '../../leads/index.js';
import { selectLeads } from '../../leads/index.js';
import { loadScoringSettings } from '../../scoring/index.js';

export const followUpReminderJobKind = 'automation.follow_up_reminder';

export interface FollowUpReminderPayload {
  leadId: string;
  agentId: string;
  followUpAt: string;
}

/** Tells the lead's owner, in their realtime room, that a follow-up is due. */
export async function remindFollowUp(ctx: JobContext<FollowUpReminderPayload>) {
  const { leadId, agentId, followUpAt } = ctx.job.payload;
  const row = await selectLeads(ctx.handle.db).where('id', '=', leadId).executeTakeFirst();
  if (!row) throw new PermanentJobError(`No lead ${leadId}`, 'not_found');
  const lead = toLead(row, (await loadScoringSettings(ctx.handle)).hotThreshold);
  ctx.services.realtime.emitToTenantRoom(ctx.handle.tenant.id, agentRoom(agentId), 'lead.follow_up_due', {
    lead,
    followUpAt,
  });
  return { notified: agentId };
}

export const followUpReminderJob: JobDefinition<FollowUpReminderPayload> = {
  kind: followUpReminderJobKind,
  handler: remindFollowUp,
};
