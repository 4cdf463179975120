import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { fetchRecording } from './recordings/fetch-recording.job.js';

/** The job contract of the calls component: its kinds, their payloads and handlers. */

export const fetchRecordingPayload = z.object({
  callId: z.uuid(),
  recordingSid: z.string().min(1),
  recordingUrl: z.string().min(1),
});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    /** Enqueued by the recording callback: fetch the recording into the tenant's object storage. */
    'calls.fetch_recording': z.infer<typeof fetchRecordingPayload>;
  }
}

export const fetchRecordingJob = defineJob({
  kind: 'calls.fetch_recording',
  payload: fetchRecordingPayload,
  handler: fetchRecording,
});

export const callsJobs = [fetchRecordingJob];
