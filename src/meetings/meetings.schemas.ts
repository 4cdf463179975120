import { z } from 'zod';
import { isoDateTimeInput } from '../http/input-contract.js';
import { piiEmail } from '../http/pii.js';

export const createMeetingBody = z
  .object({
    leadId: z.uuid().optional(),
    title: z.string().trim().min(1).max(500),
    description: z.string().max(8000).optional(),
    start: isoDateTimeInput(),
    end: isoDateTimeInput(),
    attendees: z.array(z.email()).max(100).default([]),
  })
  .refine((body) => body.end > body.start, { path: ['end'], message: 'must be after start' });
export type CreateMeetingInput = z.infer<typeof createMeetingBody>;

export const meetingSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid().nullable(),
  title: z.string(),
  start: z.date(),
  end: z.date(),
  attendees: z.array(piiEmail()),
  status: z.enum(['pending', 'ready', 'failed']),
  hangoutLink: z.string().nullable(),
  entryPoints: z.array(z.unknown()).nullable(),
  calendarEventId: z.string().nullable(),
  htmlLink: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.date(),
});
