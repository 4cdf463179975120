import { z } from 'zod';
import { callPriorities } from '../dialer/index.js';

export const importCallQueueSchema = z.object({
  priority: z.enum(callPriorities),
  campaign: z.string().optional(),
});

export const importSchema = z.object({
  id: z.string(),
  status: z.enum(['uploading', 'queued', 'running', 'completed', 'failed']),
  fileName: z.string().nullable(),
  assign: z.boolean(),
  /** Data rows read so far (the file's total once completed). */
  total: z.number().int(),
  created: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
  /** Leads put in the call queue (`callQueue=true`; do-not-call and already queued leads are not). */
  queued: z.number().int(),
  callQueue: importCallQueueSchema
    .nullable()
    .meta({ description: 'The call queue option the import was started with (null: none)' }),
  bytes: z.number().int(),
  processedBytes: z.number().int(),
  /** The file line up to which every row is committed. */
  lastLine: z.number().int(),
  failure: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
});
export const importDetailSchema = importSchema.extend({
  /** The first 1,000 row errors, with the file's line numbers. */
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
});
export type Import = z.infer<typeof importSchema>;
