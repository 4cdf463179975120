import { z } from 'zod';

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
