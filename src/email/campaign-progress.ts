import { ResourceKey } from '../app/process-resources.js';
import type { AppServices } from '../app/services.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { findCampaign } from './campaign.repository.js';

export const campaignProgressEvent = 'campaign.progress';

/** The process's progress emitter, started and stopped by the email component. */
export const campaignProgressKey = new ResourceKey<CampaignProgress>('email.campaignProgress');

/** Progress events of a campaign that is still sending go out at most this often per process. */
const progressIntervalMs = 1000;

/**
 * After an expansion page or a recipient's outcome: marks the campaign completed once it
 * is fully expanded and no recipient is left queued, and sends its counts to dashboards.
 * Counting a campaign's recipients after each of their outcomes made a large campaign
 * quadratic, so while it is sending a recipient's outcome only schedules a count (one per
 * second per campaign); a state change (`immediate`, or the campaign just completed) sends
 * one now. Each campaign's events go out one at a time, in the order of the states they describe.
 */
export async function reportCampaignProgress(
  services: Pick<AppServices, 'resources'>,
  handle: TenantHandle,
  campaignId: string,
  { immediate = true }: { immediate?: boolean } = {},
): Promise<void> {
  const completed = await handle.db
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
    .returning('id')
    .executeTakeFirst();
  const emitter = services.resources.get(campaignProgressKey);
  if (immediate || completed) await emitter.now(handle, campaignId);
  else emitter.soon(handle, campaignId);
}

/** Per process: each campaign's chain of events and its pending count, for `reportCampaignProgress`. */
export class CampaignProgress {
  private readonly campaigns = new Map<string, { chain: Promise<void>; timer?: NodeJS.Timeout }>();

  constructor(private readonly services: Pick<AppServices, 'realtime' | 'logger'>) {}

  now(handle: TenantHandle, campaignId: string): Promise<void> {
    const entry = this.entry(campaignId);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    return this.emit(handle, campaignId);
  }

  soon(handle: TenantHandle, campaignId: string): void {
    const entry = this.entry(campaignId);
    if (entry.timer) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.emit(handle, campaignId);
    }, progressIntervalMs).unref();
  }

  /** Drops the counts not sent yet and waits for the events under way. */
  async stop(): Promise<void> {
    const entries = [...this.campaigns.values()];
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    await Promise.allSettled(entries.map((entry) => entry.chain));
  }

  private entry(campaignId: string) {
    let entry = this.campaigns.get(campaignId);
    if (!entry) {
      entry = { chain: Promise.resolve() };
      this.campaigns.set(campaignId, entry);
    }
    return entry;
  }

  /** Queues the event behind the campaign's previous one; a failure is logged, never thrown. */
  private emit(handle: TenantHandle, campaignId: string): Promise<void> {
    const entry = this.entry(campaignId);
    const settled = entry.chain
      .then(async () => {
        const campaign = await findCampaign(handle.db, campaignId);
        if (!campaign) return;
        this.services.realtime.emitToTenant(handle.tenant.id, campaignProgressEvent, {
          campaignId,
          status: campaign.status,
          progress: campaign.progress,
        });
      })
      .catch((error: unknown) => {
        this.services.logger.warn({ err: error, campaignId }, 'campaign progress event failed');
      });
    entry.chain = settled;
    void settled.then(() => {
      // Nothing queued behind this event: forget the campaign.
      if (entry.chain === settled && !entry.timer) this.campaigns.delete(campaignId);
    });
    return settled;
  }
}
