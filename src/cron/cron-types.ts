import type { AppServices } from '../app/services.js';

/** A recurring task. Each tick runs once across all worker processes. */
export interface CronDefinition {
  name: string;
  /** node-cron expression, in UTC. Tasks that concern a tenant's day use the tenant's timezone themselves. */
  schedule: string;
  /** What it resolves to (per-tenant outcomes, say) is not used by the scheduler. */
  run(services: AppServices, tick: Date): Promise<unknown>;
}
