import type { JobDefinition } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { actionJobKinds } from './external-actions.js';

/**
 * WhatsApp, email and Meet actions until the channels component provides their senders.
 * They fail permanently and say so, never pretending a message went out. Integrator:
 * replace each handler with the channel's sender (payloads: external-actions.ts).
 */
const notConfigured =
  (channel: string): JobDefinition['handler'] =>
  async () => {
    throw new PermanentJobError(
      `The ${channel} channel is not configured for automations`,
      'channel_not_configured',
    );
  };

export const channelActionJobs: JobDefinition[] = [
  { kind: actionJobKinds.send_whatsapp_template, handler: notConfigured('WhatsApp') },
  { kind: actionJobKinds.send_whatsapp_text, handler: notConfigured('WhatsApp') },
  { kind: actionJobKinds.send_email, handler: notConfigured('email') },
  { kind: actionJobKinds.create_meet_link, handler: notConfigured('Google Meet') },
];
