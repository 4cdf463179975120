import { jobRequest } from '../queue/job-types.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';

/**
 * Queues a dialer tick for the tenant at `at` in `unit` (the dialer is a job per tenant, so the
 * job queue's fairness across tenants is the dialer's). Ticks asked for within the same second
 * are one job (its idempotency key); two running at once are serialised by the tick itself.
 */
export async function scheduleDialerTick(
  unit: TenantUnitOfWork<never>,
  tenantId: string,
  at: Date,
): Promise<void> {
  const second = Math.ceil(at.getTime() / 1000);
  await unit.enqueue(
    jobRequest(
      tenantId,
      'dialer.tick',
      {},
      { runAt: new Date(second * 1000), idempotencyKey: `dialer:tick:${second}` },
    ),
  );
}
