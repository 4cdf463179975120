import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { sendQuotationJob } from './send-quotation.job.js';

/** The job contract of the quotations component: its kinds, their payloads and handlers. */

export const sendQuotationPayload = z.object({
  quotationId: z.uuid(),
  /** The version shared (a later edit does not change what this send attaches). */
  version: z.number().int().positive(),
  channel: z.literal('email'),
  to: z.email(),
});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'quotations.send': z.infer<typeof sendQuotationPayload>;
  }
}

export const sendQuotationJobDefinition = defineJob({
  kind: 'quotations.send',
  payload: sendQuotationPayload,
  handler: sendQuotationJob,
  maxAttempts: 6,
});

export const quotationsJobs = [sendQuotationJobDefinition];
