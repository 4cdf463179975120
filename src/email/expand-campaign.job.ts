import type { Insertable } from 'kysely';
import { everyLead } from '../auth/access.js';
import type { AppServices } from '../app/services.js';
import { listLeads } from '../leads/index.js';
import type { Lead } from '../leads/index.js';
import type { DeadJobContext, EnqueueRequest, JobContext, JobKind, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { batchRunAt, batchSizeOf } from './campaign-batches.js';
import { reportCampaignProgress } from './campaign-progress.js';
import { campaignAudienceSchema } from './campaign.schemas.js';
import type { EmailMessagesTable } from './email.tables.js';
import { sendEmailJobKind } from './send-email.job.js';

export const expandCampaignJobKind = 'email.expand_campaign' as const satisfies JobKind;

export const expandJobKey = (campaignId: string, batch: number) => `email-campaign:${campaignId}:${batch}`;

/** The variables a recipient's template sees: the campaign's, then the lead's (flat and as `lead`). */
function recipientVariables(campaign: Record<string, unknown>, lead: Lead): Record<string, unknown> {
  const own = {
    ref: lead.ref,
    firstName: lead.firstName,
    lastName: lead.lastName,
    name: lead.name,
    email: lead.email,
    phone: lead.phone,
    company: lead.company,
    city: lead.city,
    state: lead.state,
    customFields: lead.customFields,
  };
  return { ...campaign, ...own, lead: own };
}

/**
 * Expands one batch of a campaign's audience (one page of the leads list, in reference
 * order) into recipient rows and their send jobs, due at the batch's slot of the campaign's
 * rate, then queues the next batch. Suppressed addresses and leads without an email are
 * recorded as such and get no job. Re-running a batch adds nothing (unique recipient rows,
 * idempotent job keys); a cancelled campaign stops expanding.
 */
export async function expandCampaign(
  ctx: JobContext<JobPayloads['email.expand_campaign'], Pick<AppServices, 'queue' | 'servers' | 'resources'>>,
) {
  const { handle, services, job } = ctx;
  const { campaignId, batch, cursor } = job.payload;
  const campaign = await handle.db
    .selectFrom('email_campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!campaign) throw new PermanentJobError('No such campaign', 'not_found');
  if (campaign.status === 'cancelled' || campaign.status === 'completed' || campaign.expanded_at) {
    return { batch, recipients: 0, status: campaign.status };
  }
  const audience = campaignAudienceSchema.safeParse(campaign.audience);
  if (!audience.success)
    throw new PermanentJobError('The campaign audience is not valid', 'invalid_audience');
  const startAt = job.payload.startAt ?? Date.now();
  const size = batchSizeOf(campaign.rate_per_minute);
  const page = await listLeads(handle, everyLead, {
    ...audience.data,
    sort: 'ref',
    order: 'asc',
    limit: size,
    cursor,
  });

  const emails = [...new Set(page.items.flatMap((lead) => (lead.email ? [lead.email] : [])))];
  const suppressions = new Map(
    emails.length === 0
      ? []
      : (
          await handle.db
            .selectFrom('email_suppressions')
            .select(['address', 'reason'])
            .where('address', 'in', emails)
            .execute()
        ).map((row) => [row.address, row.reason]),
  );
  const rows = page.items.map((lead): Insertable<EmailMessagesTable> => {
    const address = lead.email ?? '';
    const suppressed = suppressions.get(address);
    return {
      campaign_id: campaignId,
      lead_id: lead.id,
      to_address: address,
      template_id: campaign.template_id,
      variables: JSON.stringify(recipientVariables(campaign.variables, lead)),
      ...(!address
        ? { status: 'skipped', smtp_response: 'skipped: no email address' }
        : suppressed
          ? { status: 'suppressed', smtp_response: `suppressed: ${suppressed}` }
          : {}),
    };
  });

  const runAt = batchRunAt(startAt, batch, campaign.rate_per_minute);
  const jobsOf = (queued: string[]): EnqueueRequest[] => [
    ...queued.map((messageId) => ({
      tenantId: handle.tenant.id,
      kind: sendEmailJobKind,
      payload: { messageId },
      options: { runAt, idempotencyKey: `email:${messageId}` },
    })),
    ...(page.nextCursor
      ? [
          {
            tenantId: handle.tenant.id,
            kind: expandCampaignJobKind,
            payload: { campaignId, batch: batch + 1, cursor: page.nextCursor, startAt },
            options: { idempotencyKey: expandJobKey(campaignId, batch + 1) },
          },
        ]
      : []),
  ];

  const outcome = await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    // Serialised with cancel: nothing is added to a campaign once it is cancelled.
    const locked = await trx
      .selectFrom('email_campaigns')
      .select('status')
      .where('id', '=', campaignId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (locked.status === 'cancelled') return null;
    const inserted =
      rows.length === 0
        ? []
        : await trx
            .insertInto('email_messages')
            .values(rows)
            .onConflict((conflict) => conflict.doNothing())
            .returning('id')
            .execute();
    await trx
      .updateTable('email_campaigns')
      .set({
        status: 'sending',
        ...(page.nextCursor ? {} : { expanded_at: new Date() }),
        updated_at: new Date(),
      })
      .where('id', '=', campaignId)
      .execute();
    // A re-run batch queues the jobs of rows an earlier run stored (the job keys dedupe).
    const queued =
      rows.length === 0
        ? []
        : (
            await trx
              .selectFrom('email_messages')
              .select('id')
              .where('campaign_id', '=', campaignId)
              .where(
                'lead_id',
                'in',
                page.items.map((lead) => lead.id),
              )
              .where('status', '=', 'queued')
              .execute()
          ).map((row) => row.id);
    await enqueue(...jobsOf(queued));
    return { queued, recipients: inserted.length };
  });
  if (!outcome) return { batch, recipients: 0, status: 'cancelled' };
  await reportCampaignProgress(services, handle, campaignId);
  return { batch, recipients: outcome.recipients, queued: outcome.queued.length };
}

/**
 * `onDead` of `email.expand_campaign`: a batch that can no longer be expanded ends the campaign's
 * expansion where it got to, so the campaign completes once the recipients already queued have
 * their outcomes instead of staying `sending` forever (the dead job keeps the error). A cancelled
 * or already expanded campaign is left as it is.
 */
export async function endDeadExpansion(
  ctx: DeadJobContext<JobPayloads['email.expand_campaign'], Pick<AppServices, 'resources'>>,
): Promise<void> {
  const { handle, services, job } = ctx;
  const ended = await handle.db
    .updateTable('email_campaigns')
    .set({ status: 'sending', expanded_at: new Date(), updated_at: new Date() })
    .where('id', '=', job.payload.campaignId)
    .where('status', 'in', ['scheduled', 'sending'])
    .where('expanded_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!ended) return;
  ctx.logger.warn(
    { campaignId: job.payload.campaignId, batch: job.payload.batch },
    'campaign expansion ended early: its batch job died',
  );
  await reportCampaignProgress(services, handle, job.payload.campaignId);
}
