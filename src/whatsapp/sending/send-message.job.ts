import { sql } from 'kysely';
import type { AppServices } from '../../app/services.js';
import type { JobContext, JobKind, JobPayloads } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { recordChannelHealth } from '../../channels/index.js';
import { GraphApiError, type GraphApiClient } from '../graph-api-client.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { isInvalidTokenError, toJobError } from '../graph-errors.js';
import { applyPendingStatuses } from '../inbound/message-status.js';
import { conversationOwner } from '../inbox/conversations.repository.js';
import { requireWhatsAppChannel } from '../whatsapp-config.js';

export const sendMessageJobKind = 'whatsapp.send_message' as const satisfies JobKind;

type SendServices = Pick<AppServices, 'secrets' | 'config' | 'realtime'>;

/**
 * Sends one queued outbound message through the Cloud API and stores its wamid, so the
 * webhook's statuses find it. A message that already has a wamid is never sent twice.
 */
export function sendMessage(
  ctx: JobContext<JobPayloads['whatsapp.send_message'], SendServices>,
): Promise<{ wamid: string }> {
  return deliverOutbound(ctx.services, ctx.handle, ctx.job.payload.messageId, ctx.job.attempt);
}

/**
 * The sending of a recorded outbound message, for the job that owns it (attempt `attempt`):
 * `prepare` may complete the message's content first (e.g. upload its media) and its failures
 * count as the send's. A failure the job cannot retry marks the message failed.
 */
export async function deliverOutbound(
  services: SendServices,
  handle: TenantHandle,
  messageId: string,
  attempt: number,
  prepare?: (
    client: GraphApiClient,
    message: { id: string; phone_number_id: string; content: Record<string, unknown> },
  ) => Promise<Record<string, unknown>>,
): Promise<{ wamid: string }> {
  const { db, tenant } = handle;
  const message = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select([
      'messages.id',
      'messages.wamid',
      'messages.direction',
      'messages.content',
      'messages.conversation_id',
    ])
    .select(['conversations.wa_id', 'conversations.phone_number_id'])
    .where('messages.id', '=', messageId)
    .executeTakeFirst();
  if (!message || message.direction !== 'outbound') {
    throw new PermanentJobError('No outbound message with this id', 'not_found');
  }
  if (message.wamid) return { wamid: message.wamid };

  const { client } = await requireWhatsAppChannel(services, tenant.id);
  let wamid: string;
  try {
    const content = prepare ? await prepare(client, message) : message.content;
    ({ wamid } = await client.sendMessage(message.phone_number_id, message.wa_id, {
      ...content,
      biz_opaque_callback_data: message.id,
    }));
  } catch (error) {
    const jobError = toJobError(error, attempt);
    if (isInvalidTokenError(error)) {
      await recordChannelHealth(db, 'whatsapp', false, (error as Error).message);
    }
    if (jobError instanceof PermanentJobError) {
      const providerError =
        error instanceof GraphApiError
          ? { code: error.code, message: error.message }
          : { message: jobError.message };
      await db
        .updateTable('messages')
        .set({
          status: 'failed',
          errors: JSON.stringify([{ ...providerError, reason: jobError.code }]),
          updated_at: new Date(),
        })
        .where('id', '=', message.id)
        .execute();
      const owner = await conversationOwner(db, message.conversation_id);
      services.realtime.emitForLead(tenant.id, owner, 'message.status', {
        messageId: message.id,
        conversationId: message.conversation_id,
        status: 'failed',
        errors: [{ ...providerError, reason: jobError.code }],
      });
    }
    throw jobError;
  }

  await db
    .updateTable('messages')
    .set({
      wamid: sql<string>`coalesce(wamid, ${wamid})`,
      status: sql`case when status = 'queued' then 'accepted' else status end`,
      sent_at: new Date(),
      updated_at: new Date(),
    })
    .where('id', '=', message.id)
    .execute();
  const caughtUp = await applyPendingStatuses(db, wamid);
  if (caughtUp) {
    const owner = await conversationOwner(db, caughtUp.conversationId);
    services.realtime.emitForLead(tenant.id, owner, 'message.status', { ...caughtUp, errors: null });
  }
  await recordChannelHealth(db, 'whatsapp', true);
  return { wamid };
}
