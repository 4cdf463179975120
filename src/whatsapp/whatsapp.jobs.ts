import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { downloadMedia } from './inbound/media.job.js';
import { processEvents } from './inbound/process-event.job.js';
import { sendMessage } from './sending/send-message.job.js';
import { syncTemplates } from './templates/templates.job.js';

/** The job contract of the WhatsApp component: its kinds, their payloads and handlers. */

export const processEventPayload = z.union([
  z.object({ eventIds: z.array(z.string()) }),
  /** A job queued before events were batched into one job per write. */
  z.object({ eventId: z.string() }),
]);

export const messagePayload = z.object({ messageId: z.string() });

export const syncTemplatesPayload = z.object({});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'whatsapp.process_event': z.infer<typeof processEventPayload>;
    'whatsapp.download_media': z.infer<typeof messagePayload>;
    'whatsapp.send_message': z.infer<typeof messagePayload>;
    'whatsapp.sync_templates': z.infer<typeof syncTemplatesPayload>;
  }
}

export const processEventJob = defineJob({
  kind: 'whatsapp.process_event',
  payload: processEventPayload,
  handler: processEvents,
});

export const downloadMediaJob = defineJob({
  kind: 'whatsapp.download_media',
  payload: messagePayload,
  handler: downloadMedia,
  maxAttempts: 8,
});

export const sendMessageJob = defineJob({
  kind: 'whatsapp.send_message',
  payload: messagePayload,
  handler: sendMessage,
  maxAttempts: 10,
});

export const syncTemplatesJob = defineJob({
  kind: 'whatsapp.sync_templates',
  payload: syncTemplatesPayload,
  handler: syncTemplates,
  maxAttempts: 5,
});

export const whatsappJobs = [processEventJob, downloadMediaJob, sendMessageJob, syncTemplatesJob];
