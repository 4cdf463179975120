import type { AppServices } from '../app/services.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { toTenant } from '../tenancy/tenant.js';

/**
 * Runs a cron task's `work` for every active tenant, one after another: a tenant whose work fails
 * is logged (with the task's name) and the others still run. Returns the outcomes of the tenants
 * that succeeded, for tasks that add them up.
 */
export async function forEachActiveTenant<T>(
  services: Pick<AppServices, 'platform' | 'connections' | 'logger'>,
  task: string,
  work: (handle: TenantHandle) => Promise<T>,
): Promise<T[]> {
  const rows = await services.platform
    .selectFrom('tenants')
    .selectAll()
    .where('status', '=', 'active')
    .execute();
  const outcomes: T[] = [];
  for (const row of rows) {
    try {
      const handle = await services.connections.resolve(toTenant(row));
      const outcome = await work(handle);
      outcomes.push(outcome);
      services.logger.debug({ cron: task, tenant: row.client_code, outcome }, 'cron task ran for tenant');
    } catch (error) {
      services.logger.error(
        { err: error, cron: task, tenant: row.client_code },
        'cron task failed for tenant',
      );
    }
  }
  return outcomes;
}
