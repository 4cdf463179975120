import type { AppServices } from '../../app/services.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import { jobRequest, type EnqueueRequest } from '../../queue/job-types.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import type { SendMessageBody } from '../inbox/conversations.schemas.js';
import { findConversation, toMessage } from '../inbox/conversations.repository.js';
import { sendMessageJobKind } from './send-message.job.js';
import { templateStatus } from '../templates/templates.repository.js';

/** Free-form messages are allowed only within 24 hours of the customer's last message. */
export const customerServiceWindowMs = 24 * 60 * 60 * 1000;

/**
 * Records an outbound message as queued and queues its send job, in one unit of work (the
 * job exists exactly when the message does). `within` runs in the message's unit of work (a
 * caller records what it caused).
 */
export async function queueOutboundMessage(
  services: Pick<AppServices, 'queue' | 'servers'>,
  handle: TenantHandle,
  conversationId: string,
  input: SendMessageBody,
  now = new Date(),
  within?: (trx: TenantDb, messageId: string, unit: TenantUnitOfWork<never>) => Promise<void>,
) {
  const conversation = await findConversation(handle.db, conversationId);
  if (!conversation) throw AppError.notFound('Conversation');

  let content: Record<string, unknown>;
  let body: string;
  if (input.type === 'text') {
    const lastInbound = conversation.lastInboundAt?.getTime() ?? 0;
    if (now.getTime() - lastInbound > customerServiceWindowMs) {
      throw new AppError(
        'outside_customer_service_window',
        'More than 24 hours since the customer last wrote: send an approved template instead',
        { details: { lastInboundAt: conversation.lastInboundAt } },
      );
    }
    content = { type: 'text', text: { body: input.text, preview_url: input.previewUrl } };
    body = input.text;
  } else {
    const { name, language, components } = input.template;
    const status = await templateStatus(handle.db, name, language);
    if (status !== 'APPROVED') {
      throw new AppError(
        'template_not_approved',
        'No APPROVED template with this name and language (sync templates first)',
        { details: { name, language, status } },
      );
    }
    content = { type: 'template', template: { name, language: { code: language }, components } };
    body = `[template ${name}]`;
  }

  const message = await inTenantTransaction(services, handle, async (unit) => {
    const { trx, enqueue } = unit;
    const row = await trx
      .insertInto('messages')
      .values({
        conversation_id: conversation.id,
        direction: 'outbound',
        type: input.type,
        body,
        content: JSON.stringify(content),
        status: 'queued',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('conversations')
      .set({ last_message_at: now, updated_at: now })
      .where('id', '=', conversation.id)
      .execute();
    await enqueue(sendJobOf(handle, row.id));
    await within?.(trx, row.id, unit);
    return row;
  });
  return toMessage(message);
}

/** The send job of a recorded message (once per message: idempotent by its id). */
const sendJobOf = (handle: TenantHandle, messageId: string): EnqueueRequest =>
  jobRequest(
    handle.tenant.id,
    sendMessageJobKind,
    { messageId },
    { idempotencyKey: `whatsapp-send:${messageId}` },
  );

/** Queues the send of a message recorded earlier. */
export function enqueueSend(services: Pick<AppServices, 'queue'>, handle: TenantHandle, messageId: string) {
  return services.queue.enqueueMany([sendJobOf(handle, messageId)]);
}
