import { handleEvent, type EngineServices } from '../../automations/index.js';
import type { Lead } from '../../leads/index.js';
import type { JobContext } from '../../queue/job-types.js';

/**
 * Fires the `whatsapp_message_received` automation trigger for an inbound message. Called
 * from the processing job for every message with a lead, new or redelivered: the engine's
 * event key (`wa:<message id>`) makes it run once, and a job retried after a failure still
 * fires it.
 */
export async function fireMessageReceived(
  ctx: JobContext<unknown, EngineServices>,
  lead: Lead,
  message: { id: string; type: string; body: string | null; conversationId: string },
): Promise<void> {
  await handleEvent(ctx.services, ctx.handle, {
    trigger: 'whatsapp_message_received',
    source: 'internal',
    key: `wa:${message.id}`,
    leadId: lead.id,
    phone: lead.phone,
    variables: {
      messageType: message.type,
      messageBody: message.body,
      conversationId: message.conversationId,
    },
  });
}
