import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { notifySlaBreach } from './sla-breach.job.js';

/** The job contract of the signals component: its kinds, their payloads and handlers. */

export const slaBreachPayload = z.object({ signalId: z.uuid() });

declare module '../queue/job-types.js' {
  interface JobPayloads {
    /** Enqueued when a signal opens, to run at its deadline (`runAt`). */
    'signals.sla_breach': z.infer<typeof slaBreachPayload>;
  }
}

export const slaBreachJob = defineJob({
  kind: 'signals.sla_breach',
  payload: slaBreachPayload,
  handler: notifySlaBreach,
});

export const signalsJobs = [slaBreachJob];
