import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { defineJob, type JobContext, type JobPayloads } from '../queue/job-types.js';
import { runDialerTick } from './dialer-tick.js';

/** The job contract of the dialer component: its kinds, their payloads and handlers. */

export const dialerTickPayload = z.object({});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    /** One pass of a tenant's dialer (queued when leads are queued, a call ends, or at the next due instant). */
    'dialer.tick': z.infer<typeof dialerTickPayload>;
  }
}

type TickContext = JobContext<
  JobPayloads['dialer.tick'],
  Pick<AppServices, 'config' | 'secrets' | 'realtime' | 'queue' | 'servers' | 'logger'>
>;

export const dialerTickJob = defineJob({
  kind: 'dialer.tick',
  payload: dialerTickPayload,
  handler: async (ctx: TickContext) => {
    await runDialerTick(ctx.services, ctx.handle);
  },
});

export const dialerJobs = [dialerTickJob];
