import type { AppServices } from '../app/services.js';
import type { CronDefinition } from '../cron/cron-types.js';
import { toTenant } from '../tenancy/tenant.js';
import { expireQuotations } from './quotation.service.js';

/** Every active tenant's shared quotations past their expiry become `expired` (one statement per tenant). */
export async function expireAllQuotations(services: AppServices, now: Date): Promise<number> {
  const tenants = await services.platform
    .selectFrom('tenants')
    .selectAll()
    .where('status', '=', 'active')
    .execute();
  let expired = 0;
  for (const row of tenants) {
    try {
      const handle = await services.connections.resolve(toTenant(row));
      expired += await expireQuotations(services, handle, now);
    } catch (error) {
      services.logger.error(
        { err: error, cron: 'quotations.expire', tenant: row.client_code },
        'quotation expiry failed',
      );
    }
  }
  return expired;
}

export const expireQuotationsCron: CronDefinition = {
  name: 'quotations.expire',
  schedule: '*/5 * * * *',
  run: async (services, tick) => {
    await expireAllQuotations(services, tick);
  },
};
