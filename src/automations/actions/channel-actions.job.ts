import type { JobDefinition } from '../../queue/job-types.js';
import { sendEmailActionJob } from './email-action.job.js';
import { createMeetLinkJob } from './meet-action.job.js';
import { sendWhatsAppTemplateJob, sendWhatsAppTextJob } from './whatsapp-action.job.js';

/** The actions carried out through the channels component (WhatsApp, email, Google Meet). */
export const channelActionJobs: JobDefinition[] = [
  sendWhatsAppTemplateJob,
  sendWhatsAppTextJob,
  sendEmailActionJob,
  createMeetLinkJob,
];
