import type { AppServices } from '../app/services.js';
import type { CronDefinition } from '../cron/cron-types.js';
import { forEachActiveTenant } from '../cron/for-each-tenant.js';
import { expireQuotations } from './quotation.service.js';

/** Every active tenant's shared quotations past their expiry become `expired` (one statement per tenant). */
export async function expireAllQuotations(services: AppServices, now: Date): Promise<number> {
  const expired = await forEachActiveTenant(services, 'quotations.expire', (handle) =>
    expireQuotations(services, handle, now),
  );
  return expired.reduce((sum, count) => sum + count, 0);
}

export const expireQuotationsCron: CronDefinition = {
  name: 'quotations.expire',
  schedule: '*/5 * * * *',
  run: async (services, tick) => {
    await expireAllQuotations(services, tick);
  },
};
