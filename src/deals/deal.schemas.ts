import { z } from 'zod';

export const dealStatuses = ['open', 'won', 'lost', 'closed', 'order_created'] as const;

/** ISO 4217 alphabetic code (upper case). */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'An ISO 4217 currency code, e.g. EUR')
  .meta({ example: 'EUR' });

/** An amount in minor units of its currency (cents): a non-negative integer, at most 2^53 - 1. */
export const minorUnitsSchema = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: 'Minor units of the currency (1999 EUR = 19.99 €)', example: 1999 });

export const dealRefSchema = z.string().regex(/^D-\d{1,15}$/i);
/** `:id` of a deal: its uuid or its reference (`D-12`). */
export const dealIdParams = z.object({ id: z.union([z.uuid(), dealRefSchema]) });

const stageRefSchema = z.object({ id: z.uuid(), name: z.string() });

export const dealSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'D-1' }),
  title: z.string(),
  pipeline: z.object({ id: z.uuid(), ref: z.string().meta({ example: 'PW-1' }), name: z.string() }),
  stage: stageRefSchema.extend({
    position: z.number().int(),
    outcome: z.enum(['won', 'lost']).nullable(),
    enteredAt: z.date(),
  }),
  leadId: z.uuid().nullable(),
  contactId: z.uuid().nullable(),
  ownerId: z.uuid().nullable().meta({ description: "The owning agent profile's id (visibility goes by it)" }),
  owner: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  amount: minorUnitsSchema,
  currency: currencySchema,
  probability: z.number().int().meta({ description: "Percent: the deal's own, else its stage's" }),
  probabilityOverridden: z.boolean(),
  expectedCloseDate: z.iso.date().nullable(),
  status: z.enum(dealStatuses),
  closeReason: z.string().nullable(),
  closedAt: z.date().nullable(),
  rotting: z.boolean().meta({ description: "Sat in its stage longer than the stage's rotting threshold" }),
  tags: z.array(z.string()),
  customFields: z.record(z.string(), z.unknown()),
  lastActivityAt: z.date(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Deal = z.infer<typeof dealSchema>;
