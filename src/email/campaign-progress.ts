import type { AppServices } from '../app/services.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { findCampaign } from './campaign.repository.js';

export const campaignProgressEvent = 'campaign.progress';

/**
 * After an expansion page or a recipient's outcome: marks the campaign completed once it
 * is fully expanded and no recipient is left queued, and sends its counts to dashboards.
 * The campaign row is locked meanwhile, so concurrent reports go out in the order of the
 * states they describe (the last event is never an older state).
 */
export async function reportCampaignProgress(
  services: AppServices,
  handle: TenantHandle,
  campaignId: string,
): Promise<void> {
  await handle.db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('email_campaigns')
      .select('id')
      .where('id', '=', campaignId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return;
    await trx
      .updateTable('email_campaigns')
      .set({ status: 'completed', completed_at: new Date(), updated_at: new Date() })
      .where('id', '=', campaignId)
      .where('status', '=', 'sending')
      .where('expanded_at', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('email_messages')
              .select('id')
              .where('campaign_id', '=', campaignId)
              .where('status', '=', 'queued'),
          ),
        ),
      )
      .execute();
    const campaign = (await findCampaign(trx, campaignId))!;
    services.realtime.emitToTenant(handle.tenant.id, campaignProgressEvent, {
      campaignId,
      status: campaign.status,
      progress: campaign.progress,
    });
  });
}
