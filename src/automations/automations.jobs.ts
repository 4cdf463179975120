import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { callWebhook } from './actions/call-webhook.job.js';
import { sendEmailAction } from './actions/email-action.job.js';
import { remindFollowUp } from './crm-triggers/follow-up-reminder.job.js';
import { createMeetLink } from './actions/meet-action.job.js';
import { resumeRun } from './runs/resume-run.job.js';
import { sendWhatsAppTemplate, sendWhatsAppText } from './actions/whatsapp-action.job.js';

/** The job contract of the automations component: its kinds, their payloads and handlers. */

/** Where an action job came from, so its outcome can be traced to the run. */
const actionOrigin = z.object({
  runId: z.string(),
  ruleId: z.string().nullable(),
  actionIndex: z.number().int().nonnegative(),
  leadId: z.string().nullable(),
});

export const sendWhatsAppTemplatePayload = actionOrigin.extend({
  /** E.164. */
  to: z.string(),
  template: z.string(),
  language: z.string(),
  /** The template's body parameters, in order. */
  parameters: z.array(z.string()),
});

export const sendWhatsAppTextPayload = actionOrigin.extend({ to: z.string(), text: z.string() });

export const sendEmailActionPayload = actionOrigin.extend({
  to: z.string(),
  subject: z.string(),
  /** Plain text. */
  body: z.string(),
});

export const createMeetLinkPayload = actionOrigin.extend({
  title: z.string(),
  startAt: z.string(),
  durationMinutes: z.number(),
  attendees: z.array(z.string()),
});

export const callWebhookPayload = actionOrigin.extend({
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  timeoutMs: z.number(),
  /** Sent as JSON exactly as stored; the signature covers those bytes. */
  body: z.record(z.string(), z.unknown()),
});

export const resumeRunPayload = z.object({ runId: z.string(), startIndex: z.number().int().nonnegative() });

export const followUpReminderPayload = z.object({
  leadId: z.string(),
  agentId: z.string(),
  followUpAt: z.string(),
});

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'automation.send_whatsapp_template': z.infer<typeof sendWhatsAppTemplatePayload>;
    'automation.send_whatsapp_text': z.infer<typeof sendWhatsAppTextPayload>;
    'automation.send_email': z.infer<typeof sendEmailActionPayload>;
    'automation.create_meet_link': z.infer<typeof createMeetLinkPayload>;
    'automation.call_webhook': z.infer<typeof callWebhookPayload>;
    'automation.resume_run': z.infer<typeof resumeRunPayload>;
    'automation.follow_up_reminder': z.infer<typeof followUpReminderPayload>;
  }
}

export const sendWhatsAppTemplateJob = defineJob({
  kind: 'automation.send_whatsapp_template',
  payload: sendWhatsAppTemplatePayload,
  handler: sendWhatsAppTemplate,
  maxAttempts: 5,
});

export const sendWhatsAppTextJob = defineJob({
  kind: 'automation.send_whatsapp_text',
  payload: sendWhatsAppTextPayload,
  handler: sendWhatsAppText,
  maxAttempts: 5,
});

export const sendEmailActionJob = defineJob({
  kind: 'automation.send_email',
  payload: sendEmailActionPayload,
  handler: sendEmailAction,
  maxAttempts: 5,
});

export const createMeetLinkJob = defineJob({
  kind: 'automation.create_meet_link',
  payload: createMeetLinkPayload,
  handler: createMeetLink,
  maxAttempts: 10,
});

export const callWebhookJob = defineJob({
  kind: 'automation.call_webhook',
  payload: callWebhookPayload,
  handler: callWebhook,
  maxAttempts: 8,
});

export const resumeRunJob = defineJob({
  kind: 'automation.resume_run',
  payload: resumeRunPayload,
  handler: resumeRun,
});

export const followUpReminderJob = defineJob({
  kind: 'automation.follow_up_reminder',
  payload: followUpReminderPayload,
  handler: remindFollowUp,
});

/** The actions carried out through the channels components (WhatsApp, email, Google Meet). */
export const channelActionJobs = [
  sendWhatsAppTemplateJob,
  sendWhatsAppTextJob,
  sendEmailActionJob,
  createMeetLinkJob,
];

export const automationsJobs = [callWebhookJob, ...channelActionJobs, resumeRunJob, followUpReminderJob];
