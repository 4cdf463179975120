import type { Logger } from 'pino';
import type { AppServices } from '../app/services.js';
import type { DeadJobContext, JobDefinition } from './job-types.js';
import type { DeadJob } from './worker.repository.js';

/**
 * Calls the `onDead` of a dead job's kind so its records end final. Never throws: a failure is
 * logged (the job stays dead either way, and `onDead` is idempotent, so nothing is retried here).
 */
export async function runOnDead(
  services: AppServices,
  definition: JobDefinition<any, AppServices> | undefined,
  job: DeadJob,
  workerLogger: Logger,
): Promise<void> {
  if (!definition?.onDead) return;
  const logger = workerLogger.child({ jobId: String(job.id), kind: job.kind, tenant: job.tenant.clientCode });
  const parsed = definition.payload.safeParse(job.payload);
  if (!parsed.success) {
    logger.warn('dead job has a payload its kind cannot read; onDead skipped');
    return;
  }
  try {
    const handle = await services.connections.resolve(job.tenant);
    const context: DeadJobContext<unknown, AppServices> = {
      job: {
        id: String(job.id),
        tenantId: job.tenant.id,
        kind: job.kind,
        payload: parsed.data,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
      },
      handle,
      logger,
      services,
      error: job.error,
    };
    await definition.onDead(context);
  } catch (error) {
    logger.error({ err: error }, 'onDead of a dead job failed; its records may not be final');
  }
}
