import type { AppServices } from '../app/services.js';

/** What the calling code uses of the process's services (jobs and routes alike have them). */
export type CallServices = Pick<
  AppServices,
  'config' | 'secrets' | 'realtime' | 'queue' | 'servers' | 'logger'
>;
