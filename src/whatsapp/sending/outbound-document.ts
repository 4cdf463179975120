import type { AppServices } from '../../app/services.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { conversationOwner } from '../inbox/conversations.repository.js';
import { customerServiceWindowMs } from './outbound.service.js';
import { deliverOutbound } from './send-message.job.js';

/**
 * Outbound documents (a file sent by media id, e.g. a quotation PDF), for other components'
 * jobs: the caller records the message in its own unit of work (with the job that sends it),
 * and its job renders the file and hands it to `sendOutboundDocument`.
 */

/**
 * The conversation a free-form document to `phone` (E.164) goes to: the one where that customer
 * wrote last, when that was within the 24-hour customer-service window (Meta's rule for
 * anything but a template); otherwise 409 `outside_customer_service_window`.
 */
export async function conversationInServiceWindow(
  db: TenantDb,
  phone: string,
  now = new Date(),
): Promise<{ id: string; leadId: string | null }> {
  const row = await db
    .selectFrom('conversations')
    .select(['id', 'lead_id', 'last_inbound_at'])
    .where('wa_id', '=', phone.replace(/^\+/, ''))
    .orderBy('last_inbound_at', (ob) => ob.desc().nullsLast())
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const lastInboundAt = row?.last_inbound_at ?? null;
  if (!row || !lastInboundAt || now.getTime() - lastInboundAt.getTime() > customerServiceWindowMs) {
    throw new AppError(
      'outside_customer_service_window',
      'The customer has not written on WhatsApp in the last 24 hours: a document can only be sent inside that window',
      { details: { lastInboundAt } },
    );
  }
  return { id: row.id, leadId: row.lead_id };
}

/**
 * Records an outbound document message (`queued`, its caption as body) in `trx`; the media id
 * is added when the file is uploaded. Answers the message id, which the sending job carries.
 */
export async function recordOutboundDocument(
  trx: TenantDb,
  input: { conversationId: string; filename: string; caption: string; mimeType: string },
  now = new Date(),
): Promise<string> {
  const row = await trx
    .insertInto('messages')
    .values({
      conversation_id: input.conversationId,
      direction: 'outbound',
      type: 'document',
      body: input.caption,
      content: JSON.stringify({
        type: 'document',
        document: { filename: input.filename, caption: input.caption },
      }),
      status: 'queued',
      media_mime_type: input.mimeType,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('conversations')
    .set({ last_message_at: now, updated_at: now })
    .where('id', '=', input.conversationId)
    .execute();
  return row.id;
}

/**
 * Sends a recorded document message, for the job that owns it (attempt `attempt`): uploads
 * `file` with `POST /{phone-number-id}/media` unless an earlier attempt did (the media id is
 * kept on the message), then sends the document by that id. Idempotent as every outbound
 * send: a message with a wamid is never sent again. Failures are classified as the other
 * WhatsApp sends' (rate limits retry later; a refusal fails the message and is permanent).
 */
export function sendOutboundDocument(
  services: Pick<AppServices, 'secrets' | 'config' | 'realtime'>,
  handle: TenantHandle,
  messageId: string,
  file: { data: Buffer; mimeType: string; filename: string },
  attempt: number,
): Promise<{ wamid: string }> {
  return deliverOutbound(services, handle, messageId, attempt, async (client, message) => {
    const document = (message.content.document ?? {}) as Record<string, unknown>;
    if (typeof document.id === 'string') return message.content;
    const { id } = await client.uploadMedia(message.phone_number_id, file);
    const content = { ...message.content, document: { id, ...document } };
    await handle.db
      .updateTable('messages')
      .set({
        content: JSON.stringify(content),
        media_id: id,
        media_mime_type: file.mimeType,
        updated_at: new Date(),
      })
      .where('id', '=', message.id)
      .execute();
    return content;
  });
}

/**
 * Leaves a recorded outbound message `failed` (with `reason`) when the job that owned its
 * sending died without sending it (its attempts used up, or its worker gone): a message with a
 * wamid, or already final, is left as it is. Idempotent; announced as `message.status`.
 */
export async function failUnsentOutbound(
  services: Pick<AppServices, 'realtime'>,
  handle: TenantHandle,
  messageId: string,
  reason: string,
): Promise<void> {
  const errors = [{ message: reason, reason: 'job_dead' }];
  const failed = await handle.db
    .updateTable('messages')
    .set({ status: 'failed', errors: JSON.stringify(errors), updated_at: new Date() })
    .where('id', '=', messageId)
    .where('direction', '=', 'outbound')
    .where('wamid', 'is', null)
    .where('status', '=', 'queued')
    .returning('conversation_id')
    .executeTakeFirst();
  if (!failed) return;
  const owner = await conversationOwner(handle.db, failed.conversation_id);
  services.realtime.emitForLead(handle.tenant.id, owner, 'message.status', {
    messageId,
    conversationId: failed.conversation_id,
    status: 'failed',
    errors,
  });
}
