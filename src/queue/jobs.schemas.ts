import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { jobStatuses, type JobStatus } from './queue.tables.js';
import type { JobRow } from './jobs.repository.js';

export const jobStatusSchema = z.enum(jobStatuses as [JobStatus, ...JobStatus[]]);

export const jobIdParams = z.object({
  id: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a job id')
    .transform(Number),
});

export const jobListQuery = z.object({
  status: jobStatusSchema.optional(),
  kind: z.string().min(1).max(200).optional(),
  ...pageQuery,
});

export const jobSchema = z.object({
  id: z.string(),
  tenantId: z.uuid(),
  kind: z.string(),
  status: jobStatusSchema,
  payload: z.unknown(),
  priority: z.number(),
  runAt: z.date(),
  attempts: z.number(),
  maxAttempts: z.number(),
  timeoutMs: z.number().nullable(),
  lastError: z.string().nullable(),
  errors: z.array(
    z.object({ attempt: z.number(), at: z.string(), error: z.string(), code: z.string().optional() }),
  ),
  result: z.unknown(),
  idempotencyKey: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const jobPageSchema = pageSchema(jobSchema);

export type JobView = z.infer<typeof jobSchema>;

export function toJobView(row: JobRow): JobView {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status,
    payload: row.payload,
    priority: row.priority,
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    lastError: row.last_error,
    errors: row.errors,
    result: row.result,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
