import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { failDeadAssignment, runCohortAssignment } from './assign-cohort.job.js';

/** The job contract of the cohorts component: its kinds, their payloads and handlers. */

export const assignCohortPayload = z.object({ assignmentId: z.uuid() });

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'cohorts.assign': z.infer<typeof assignCohortPayload>;
  }
}

export const assignCohortJob = defineJob({
  kind: 'cohorts.assign',
  payload: assignCohortPayload,
  handler: runCohortAssignment,
  onDead: failDeadAssignment,
  // A large cohort takes a while; the lease is renewed meanwhile and a retry continues.
  timeoutMs: 30 * 60_000,
  maxAttempts: 5,
});

export const cohortsJobs = [assignCohortJob];
