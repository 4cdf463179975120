import type { AppServices } from '../app/services.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { EnqueueRequest } from './job-types.js';

/**
 * Runs `work` in a transaction of the tenant's database and enqueues the jobs it `queue`s:
 * in that same transaction when the tenant lives on the services' server (neither the data
 * nor its jobs exist without the other), right after the commit when it lives on a
 * dedicated server (the jobs' idempotency keys make a repeat harmless).
 */
export async function transactionWithJobs<T>(
  services: Pick<AppServices, 'queue' | 'servers'>,
  handle: TenantHandle,
  work: (trx: TenantDb, queue: (...jobs: EnqueueRequest[]) => void) => Promise<T>,
): Promise<T> {
  const jobs: EnqueueRequest[] = [];
  const sameServer = handle.server === services.servers.defaultServer;
  const result = await handle.db.transaction().execute(async (trx) => {
    const value = await work(trx, (...more) => jobs.push(...more));
    if (sameServer && jobs.length > 0) await services.queue.enqueueMany(jobs, trx);
    return value;
  });
  if (!sameServer && jobs.length > 0) await services.queue.enqueueMany(jobs);
  return result;
}
