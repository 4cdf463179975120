import { z } from 'zod';
import { currencySchema, minorUnitsSchema } from '../deals/index.js';
import { pageQuery } from '../http/pagination.js';

export const quotationStatuses = ['draft', 'shared', 'accepted', 'rejected', 'expired'] as const;
export const paymentTypes = ['prepaid', 'cod', 'partial'] as const;

/** A percentage 0…100 with at most 2 decimals (kept as basis points). */
const percentSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, {
    message: 'At most 2 decimals',
  })
  .meta({ description: 'Percent, 0 to 100, at most 2 decimals (12.5 = 12.5 %)', example: 10 });

export const lineInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    sku: z.string().trim().min(1).max(100).nullish(),
    quantity: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .meta({ description: 'A positive integer (units)', example: 2 }),
    unitPrice: minorUnitsSchema,
    discountPercent: percentSchema.default(0),
    taxPercent: percentSchema.default(0),
  })
  .strict();

export const paymentInputSchema = z
  .object({
    type: z.enum(paymentTypes),
    prepaidAmount: minorUnitsSchema.optional().meta({
      description: 'Partial payments only: the prepaid part (at most the total); COD is the rest',
    }),
  })
  .strict();

const rulesDescription =
  'Totals are computed on the server only, per line in integers: gross = quantity × unitPrice; discount = round(gross × discount%); net = gross − discount; tax = round(net × tax%); line total = net + tax. `round` is half away from zero (a half minor unit rounds up), applied per line; the quotation totals are the sums of its lines. An amount above 2^53 − 1 minor units is a 400. A `total` sent by the client must equal the computed one (else 400).';

export const createQuotationBody = z
  .object({
    lines: z.array(lineInputSchema).min(1).max(200),
    payment: paymentInputSchema.default({ type: 'prepaid' }),
    expiresAt: z.coerce.date().nullish(),
    notes: z.string().max(10_000).nullish(),
    terms: z.string().max(10_000).nullish(),
    total: minorUnitsSchema.optional().meta({ description: 'Optional: must match the computed total' }),
  })
  .strict()
  .meta({ description: rulesDescription });
export type CreateQuotationInput = z.infer<typeof createQuotationBody>;

export const patchQuotationBody = z
  .object({
    lines: z.array(lineInputSchema).min(1).max(200).optional(),
    payment: paymentInputSchema.optional(),
    expiresAt: z.coerce.date().nullable().optional(),
    notes: z.string().max(10_000).nullable().optional(),
    terms: z.string().max(10_000).nullable().optional(),
    total: minorUnitsSchema.optional().meta({ description: 'Optional: must match the computed total' }),
  })
  .strict()
  .meta({ description: rulesDescription });
export type PatchQuotationInput = z.infer<typeof patchQuotationBody>;

export const quotationRefSchema = z.string().regex(/^Q-\d{1,15}$/i);
export const quotationIdParams = z.object({ id: z.union([z.uuid(), quotationRefSchema]) });
export const quotationVersionParams = quotationIdParams.extend({
  version: z.coerce.number().int().min(1).max(1_000_000),
});
export const listQuotationsQuery = z.object({ ...pageQuery });

export const sendQuotationBody = z.discriminatedUnion('channel', [
  z
    .object({
      channel: z
        .literal('email')
        .meta({ description: 'email: the PDF as an attachment, by the tenant SMTP' }),
      to: z.email().optional().meta({ description: "Default: the deal's contact's, else its lead's email" }),
    })
    .strict(),
  z
    .object({
      channel: z.literal('whatsapp').meta({
        description:
          "whatsapp: the PDF as a document message (uploaded as media, sent by id) through the tenant's WhatsApp channel, inside the 24-hour customer-service window only",
      }),
      to: z.string().min(3).max(40).optional().meta({
        description:
          "A phone number (E.164, or national in the tenant's country). Default: the deal's lead's, else its contact's phone",
        example: '+34600111222',
      }),
    })
    .strict(),
]);

const lineSchema = z.object({
  name: z.string(),
  sku: z.string().nullable(),
  quantity: z.number().int(),
  unitPrice: minorUnitsSchema,
  discountPercent: z.number(),
  taxPercent: z.number(),
  gross: minorUnitsSchema,
  discount: minorUnitsSchema,
  net: minorUnitsSchema,
  tax: minorUnitsSchema,
  total: minorUnitsSchema,
});

export const quotationVersionSchema = z.object({
  version: z.number().int(),
  lines: z.array(lineSchema),
  subtotal: minorUnitsSchema,
  discountTotal: minorUnitsSchema,
  taxTotal: minorUnitsSchema,
  total: minorUnitsSchema,
  payment: z.object({
    type: z.enum(paymentTypes),
    prepaidAmount: minorUnitsSchema,
    codAmount: minorUnitsSchema,
  }),
  notes: z.string().nullable(),
  terms: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type QuotationVersion = z.infer<typeof quotationVersionSchema>;

export const quotationSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'Q-1' }),
  dealId: z.uuid(),
  dealRef: z.string().meta({ example: 'D-1' }),
  status: z.enum(quotationStatuses),
  currency: currencySchema,
  currentVersion: z.number().int(),
  expiresAt: z.date().nullable(),
  sharedAt: z.date().nullable(),
  acceptedAt: z.date().nullable(),
  rejectedAt: z.date().nullable(),
  expiredAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  current: quotationVersionSchema.meta({ description: 'The current version' }),
});
export type Quotation = z.infer<typeof quotationSchema>;

export const quotationVersionResponse = quotationVersionSchema.extend({
  quotationId: z.uuid(),
  ref: z.string(),
  current: z.boolean(),
});
