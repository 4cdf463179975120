import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { failDeadSend, sendQuotationJob } from './send-quotation.job.js';

/** The job contract of the quotations component: its kinds, their payloads and handlers. */

const sendCommon = {
  quotationId: z.uuid(),
  /** The version shared (a later edit does not change what this send attaches). */
  version: z.number().int().positive(),
  /** Who asked for the send (the deal timeline's actor); absent in jobs queued before it was kept. */
  requestedBy: z
    .object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable(), name: z.string() })
    .optional(),
};

export const sendQuotationPayload = z.discriminatedUnion('channel', [
  z.object({ ...sendCommon, channel: z.literal('email'), to: z.email() }),
  z.object({
    ...sendCommon,
    channel: z.literal('whatsapp'),
    /** E.164. */
    to: z.string().regex(/^\+\d{6,15}$/),
    /** The outbound document message recorded with the job (WhatsApp component): sent once. */
    messageId: z.uuid(),
  }),
]);

/** As many attempts as the WhatsApp component's own sends (`whatsapp.send_message`). */
export const whatsappSendAttempts = 10;

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'quotations.send': z.infer<typeof sendQuotationPayload>;
  }
}

export const sendQuotationJobDefinition = defineJob({
  kind: 'quotations.send',
  payload: sendQuotationPayload,
  handler: sendQuotationJob,
  onDead: failDeadSend,
  maxAttempts: 6,
});

export const quotationsJobs = [sendQuotationJobDefinition];
