import { z } from 'zod';
import { piiEmail, piiPhone } from '../http/pii.js';

const text = (max: number) => z.string().trim().min(1).max(max).nullish();

export const contactFieldsSchema = z.object({
  firstName: text(120),
  lastName: text(120),
  phone: text(40),
  email: z.email().max(320).nullish(),
  company: text(200),
  city: text(120),
  state: text(120),
  notes: z.string().max(10_000).nullish(),
  customFields: z.record(z.string(), z.unknown()).optional(),
});
/** A new contact: at least a name, a phone, an email or a company (a contact of nothing is refused). */
export const contactInputSchema = contactFieldsSchema.refine(
  (contact) =>
    [contact.firstName, contact.lastName, contact.phone, contact.email, contact.company].some(
      (value) => value !== undefined && value !== null,
    ),
  'A contact needs at least one of firstName, lastName, phone, email or company',
);
export type ContactInput = z.infer<typeof contactFieldsSchema>;

export const contactSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  phone: piiPhone().nullable(),
  email: piiEmail().nullable(),
  company: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  notes: z.string().nullable(),
  customFields: z.record(z.string(), z.unknown()),
  pipelineId: z.uuid().nullable().meta({ description: "The contact's pipeline (null: none)" }),
  stageId: z.uuid().nullable(),
  stageEnteredAt: z.date().nullable(),
  pipelineClosedAt: z
    .date()
    .nullable()
    .meta({ description: 'When its pipeline closed (a deal was created for the contact)' }),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Contact = z.infer<typeof contactSchema>;
