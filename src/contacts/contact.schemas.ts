import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max).nullish();

export const contactInputSchema = z.object({
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
export type ContactInput = z.infer<typeof contactInputSchema>;

export const contactSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  company: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  notes: z.string().nullable(),
  customFields: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Contact = z.infer<typeof contactSchema>;
