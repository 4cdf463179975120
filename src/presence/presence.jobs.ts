import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { defineJob, type JobContext, type JobPayloads } from '../queue/job-types.js';
import { publishPresence } from './presence-events.js';

/** The job contract of the presence component: its kinds, their payloads and handlers. */

export const wrapUpEndedPayload = z.object({
  agentId: z.uuid(),
  /** The wrap-up's end as `startWrapUp` set it. */
  until: z.iso.datetime(),
});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    /** At the end of an agent's wrap-up: `agent.presence`, as no write marks that instant. */
    'presence.wrap_up_ended': z.infer<typeof wrapUpEndedPayload>;
  }
}

type WrapUpEndedContext = JobContext<JobPayloads['presence.wrap_up_ended'], Pick<AppServices, 'realtime'>>;

export const wrapUpEndedJob = defineJob({
  kind: 'presence.wrap_up_ended',
  payload: wrapUpEndedPayload,
  handler: async ({ job, handle, services }: WrapUpEndedContext) => {
    const { agentId, until } = job.payload;
    const row = await handle.db
      .selectFrom('agent_presence')
      .select('wrap_up_until')
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    // Ended early or followed by another call's wrap-up: that change announced itself.
    if (row?.wrap_up_until?.getTime() !== new Date(until).getTime()) return;
    await publishPresence(handle.db, services, handle.tenant.id, agentId, new Date());
  },
});

export const presenceJobs = [wrapUpEndedJob];
