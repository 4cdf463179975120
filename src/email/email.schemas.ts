import { z } from 'zod';
import { piiEmail } from '../http/pii.js';

const templateFields = z.object({
  name: z.string().trim().min(1).max(200),
  subject: z.string().min(1).max(998),
  html: z.string().min(1),
  text: z.string().min(1).nullable(),
});
export const templateBody = templateFields.extend({ text: templateFields.shape.text.default(null) });
/** No defaults here: a field left out of a PATCH stays as it is. */
export const templatePatch = templateFields.partial();

export const templateSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  subject: z.string(),
  html: z.string(),
  text: z.string().nullable(),
  variables: z.array(z.string()),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const sendBody = z.object({
  to: z.email(),
  /** The lead the email is about: required unless the caller's leads.write reaches every lead. */
  leadId: z.uuid().optional(),
  templateId: z.uuid(),
  variables: z.record(z.string(), z.unknown()).default({}),
});

export const emailMessageSchema = z.object({
  id: z.uuid(),
  to: piiEmail(),
  templateId: z.uuid().nullable(),
  status: z.enum(['queued', 'sent', 'failed', 'suppressed', 'skipped', 'cancelled']),
  smtpResponse: z.string().nullable(),
  sentAt: z.date().nullable(),
  createdAt: z.date(),
});

export const idParams = z.object({ id: z.uuid() });
