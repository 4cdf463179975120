import type { AppServices } from '../app/services.js';
import { AppError, fieldIssues } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { jobRequest } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { reportCampaignProgress } from './campaign-progress.js';
import { findCampaign } from './campaign.repository.js';
import { findEmailTemplateId } from './email.repository.js';
import { campaignAudienceSchema, type CreateCampaignInput } from './campaign.schemas.js';
import { expandCampaignJobKind, expandJobKey } from './expand-campaign.job.js';

/**
 * Stores a campaign and queues the expansion of its first batch at its send time (one unit
 * of work). The audience is checked as the leads list checks it.
 */
export async function createCampaign(
  services: AppServices,
  handle: TenantHandle,
  input: CreateCampaignInput,
) {
  const audience = campaignAudienceSchema.strict().safeParse(input.audience);
  if (!audience.success) {
    throw AppError.invalidFields(fieldIssues('body.audience', audience.error));
  }
  orNotFound(await findEmailTemplateId(handle.db, input.templateId), 'Email template');

  const now = new Date();
  const sendAt = input.sendAt && input.sendAt > now ? input.sendAt : now;
  const id = await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    const row = await trx
      .insertInto('email_campaigns')
      .values({
        name: input.name,
        template_id: input.templateId,
        audience: JSON.stringify(input.audience),
        variables: JSON.stringify(input.variables),
        send_at: sendAt,
        rate_per_minute: input.ratePerMinute,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueue(
      jobRequest(
        handle.tenant.id,
        expandCampaignJobKind,
        { campaignId: row.id, batch: 0 },
        { runAt: sendAt, idempotencyKey: expandJobKey(row.id, 0) },
      ),
    );
    return row.id;
  });
  return (await findCampaign(handle.db, id))!;
}

/**
 * Stops a scheduled or sending campaign: its still-queued recipients become `cancelled`
 * (their send jobs then do nothing) and no further batch is expanded.
 */
export async function cancelCampaign(services: AppServices, handle: TenantHandle, id: string) {
  const cancelled = await handle.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('email_campaigns')
      .set({ status: 'cancelled', cancelled_at: new Date(), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', 'in', ['scheduled', 'sending'])
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await trx
      .updateTable('email_messages')
      .set({ status: 'cancelled', updated_at: new Date() })
      .where('campaign_id', '=', id)
      .where('status', '=', 'queued')
      .execute();
    return true;
  });
  if (!cancelled) {
    const campaign = await findCampaign(handle.db, id);
    if (!campaign) throw AppError.notFound('Campaign');
    throw new AppError('campaign_finished', `This campaign is already ${campaign.status}`, {
      details: { status: campaign.status },
    });
  }
  await reportCampaignProgress(services, handle, id);
  return (await findCampaign(handle.db, id))!;
}
