import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { endDeadExpansion, expandCampaign } from './expand-campaign.job.js';
import { sendEmailOrFailMessage } from './send-email.job.js';

/** The job contract of the email component: its kinds, their payloads and handlers. */

export const sendEmailPayload = z.object({ messageId: z.string() });

export const expandCampaignPayload = z.object({
  campaignId: z.string(),
  /** The batch this run expands (0 first). */
  batch: z.number().int().nonnegative(),
  /** The leads list cursor of this batch (none for the first). */
  cursor: z.string().optional(),
  /** When batch 0 started sending (ms), the origin of every batch's send time. */
  startAt: z.number().optional(),
});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'email.send': z.infer<typeof sendEmailPayload>;
    'email.expand_campaign': z.infer<typeof expandCampaignPayload>;
  }
}

export const sendEmailJob = defineJob({
  kind: 'email.send',
  payload: sendEmailPayload,
  handler: sendEmailOrFailMessage,
  maxAttempts: 6,
});

export const expandCampaignJob = defineJob({
  kind: 'email.expand_campaign',
  payload: expandCampaignPayload,
  handler: expandCampaign,
  onDead: endDeadExpansion,
});

export const emailJobs = [sendEmailJob, expandCampaignJob];
