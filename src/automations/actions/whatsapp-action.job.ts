import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { conversationForRecipient } from '../../whatsapp/index.js';
import type { SendMessageBody } from '../../whatsapp/index.js';
import { enqueueSend, queueOutboundMessage } from '../../whatsapp/index.js';
import { loadWhatsAppChannel } from '../../whatsapp/index.js';
import { asJobError, channelNotConfigured } from './channel-action-errors.js';
import type { ActionOrigin, WhatsAppTemplatePayload, WhatsAppTextPayload } from './external-actions.js';
import { ActionAlreadyRecorded, actionDetail, recordActionDetailOnce } from '../runs/run.repository.js';

/** The channel's settings, and the queue the message's send job goes to. */
type WhatsAppActionServices = Pick<AppServices, 'secrets' | 'config' | 'queue' | 'servers'>;

/**
 * Hands the message to the WhatsApp outbound path (the inbox's own: 24-hour window for
 * text, APPROVED template, message row + send job). The message id is stored on the
 * action's outcome in the message's transaction, so a retried job never sends twice.
 */
async function sendWhatsApp(
  ctx: JobContext<ActionOrigin & { to: string }, WhatsAppActionServices>,
  input: SendMessageBody,
): Promise<{ messageId: string; conversationId: string }> {
  const { services, handle } = ctx;
  const { runId, actionIndex, leadId, to } = ctx.job.payload;
  const channel = await loadWhatsAppChannel(services, handle.tenant.id);
  if (!channel) throw channelNotConfigured('WhatsApp');

  const already = async () => {
    const detail = await actionDetail(handle.db, runId, actionIndex);
    if (typeof detail?.messageId !== 'string') return undefined;
    // Queued again by key: a no-op unless the send job could not be queued with the message.
    await enqueueSend(services, handle, detail.messageId);
    return { messageId: detail.messageId, conversationId: String(detail.conversationId) };
  };
  const done = await already();
  if (done) return done;

  const conversationId = await conversationForRecipient(
    handle.db,
    to,
    channel.secret.phoneNumberIds[0]!,
    leadId,
  );
  try {
    const message = await queueOutboundMessage(
      services,
      handle,
      conversationId,
      input,
      new Date(),
      (trx, id) =>
        recordActionDetailOnce(trx, runId, actionIndex, 'messageId', { messageId: id, conversationId }),
    );
    return { messageId: message.id, conversationId };
  } catch (error) {
    if (error instanceof ActionAlreadyRecorded) {
      const recorded = await already();
      if (recorded) return recorded;
    }
    throw asJobError(error);
  }
}

export function sendWhatsAppTemplate(ctx: JobContext<WhatsAppTemplatePayload, WhatsAppActionServices>) {
  const { template, language, parameters } = ctx.job.payload;
  const components =
    parameters.length > 0
      ? [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }]
      : [];
  return sendWhatsApp(ctx, { type: 'template', template: { name: template, language, components } });
}

export async function sendWhatsAppText(ctx: JobContext<WhatsAppTextPayload, WhatsAppActionServices>) {
  const { text } = ctx.job.payload;
  if (text.length > 4096) {
    throw new PermanentJobError('WhatsApp texts are at most 4096 characters', 'text_too_long');
  }
  return sendWhatsApp(ctx, { type: 'text', text, previewUrl: false });
}
