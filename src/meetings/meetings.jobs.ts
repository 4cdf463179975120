import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { pollConference } from './poll-conference.job.js';

/** The job contract of the meetings component: its kinds, their payloads and handlers. */

export const pollConferencePayload = z.object({ meetingId: z.string() });

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'meetings.poll_conference': z.infer<typeof pollConferencePayload>;
  }
}

export const pollConferenceJob = defineJob({
  kind: 'meetings.poll_conference',
  payload: pollConferencePayload,
  handler: pollConference,
  maxAttempts: 30,
});

export const meetingsJobs = [pollConferenceJob];
