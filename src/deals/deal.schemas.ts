import { z } from 'zod';
import { dateInput, isoDateTimeInput, listParam } from '../http/input-contract.js';
import { stageHistoryFilterSchema } from '../pipelines/index.js';

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
  followUpAt: z.date().nullable().meta({ description: 'When to follow up: a follow_up task is due then' }),
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

const tagsSchema = z.array(z.string().trim().min(1).max(50)).max(50);
const customFieldsSchema = z.record(z.string().max(64), z.unknown());

/** The fields a client sets on a deal (POST; PATCH takes them all optional, stage excepted). */
export const dealFieldsSchema = z.object({
  title: z.string().trim().min(1).max(300),
  leadId: z.uuid().nullable().optional(),
  contactId: z.uuid().nullable().optional(),
  ownerId: z.uuid().nullable().optional().meta({
    description:
      "An agent profile's id. Default on creation: the lead's owner, else the caller's own agent profile, else none",
  }),
  amount: minorUnitsSchema.optional(),
  currency: currencySchema,
  probability: z.number().int().min(0).max(100).nullable().optional().meta({
    description: "Overrides the stage's probability; null: follow the stage",
  }),
  expectedCloseDate: z.iso.date().nullable().optional(),
  followUpAt: isoDateTimeInput()
    .nullable()
    .optional()
    .meta({ description: 'When to follow up: the owner gets a follow_up task due then (null: none)' }),
  tags: tagsSchema.optional(),
  customFields: customFieldsSchema.optional(),
});

export const createDealSchema = dealFieldsSchema.extend({
  pipelineId: z.uuid().optional().meta({ description: "Default: the tenant's default deal pipeline" }),
  stageId: z.uuid().optional().meta({ description: "Default: the pipeline's first stage" }),
});
export type CreateDealInput = z.infer<typeof createDealSchema>;

export const updateDealSchema = dealFieldsSchema.partial();
export type UpdateDealInput = z.infer<typeof updateDealSchema>;

export const moveDealSchema = z.object({
  stageId: z.uuid(),
  reason: z.string().trim().min(1).max(1000).optional(),
  reopen: z.boolean().optional(),
});

export const dealStatusChangeSchema = z.object({
  status: z.enum(['closed', 'order_created']),
});

/** The deal asked for when converting a lead (`POST /leads/:id/convert`). */
export const convertDealSchema = z.object({
  title: z.string().trim().min(1).max(300).optional(),
  pipelineId: z.uuid().optional(),
  stageId: z.uuid().optional(),
  amount: minorUnitsSchema,
  currency: currencySchema,
  expectedCloseDate: z.iso.date().optional(),
});
export type ConvertDealInput = z.infer<typeof convertDealSchema>;

export const dealNoteSchema = z.object({
  id: z.uuid(),
  dealId: z.uuid(),
  body: z.string(),
  author: z.string().nullable(),
  authorType: z.enum(['user', 'api_key', 'system']).nullable(),
  createdAt: z.date(),
});

export const dealActivitySchema = z.object({
  id: z.string(),
  kind: z.string(),
  actor: z.string().nullable(),
  actorType: z.enum(['user', 'api_key', 'system']).nullable(),
  actorId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
});

export const stageHistoryEntrySchema = z.object({
  id: z.string(),
  pipelineId: z.uuid(),
  stage: z.object({ id: z.uuid(), name: z.string() }),
  enteredAt: z.date(),
  exitedAt: z.date().nullable(),
  durationSeconds: z.number().meta({ description: 'Time in this entry, to now when still open' }),
  actor: z.string().nullable(),
  actorType: z.enum(['user', 'api_key', 'system']).nullable(),
  reason: z.string().nullable(),
});

export const dealStagesSchema = z.object({
  entries: z.array(stageHistoryEntrySchema),
  timeInStage: z.array(
    z.object({
      stage: z.object({ id: z.uuid(), name: z.string() }),
      seconds: z.number(),
      entries: z.number().int(),
    }),
  ),
});

const listOf = listParam;

export const dealListQuerySchema = z.object({
  pipelineId: z.uuid().optional(),
  stageId: z.uuid().optional(),
  ownerId: z
    .union([z.uuid(), z.literal('unassigned')])
    .optional()
    .meta({ description: "An agent profile's id, or unassigned: deals of no owner" }),
  status: listOf(z.enum(dealStatuses))
    .optional()
    .meta({ description: 'Comma-separated or repeated: deals in any of them' }),
  currency: currencySchema.optional(),
  closedFrom: dateInput().optional().meta({ description: 'Closed (won or lost) at or after this instant' }),
  closedBefore: dateInput().optional().meta({ description: 'Closed before this instant (exclusive)' }),
  ...stageHistoryFilterSchema,
  amountMin: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  amountMax: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  expectedCloseFrom: z.iso.date().optional(),
  expectedCloseTo: z.iso.date().optional(),
  rotting: z.enum(['true', 'false']).optional(),
  tag: z
    .union([z.string().min(1).max(50), z.array(z.string().min(1).max(50)).max(20)])
    .optional()
    .meta({
      description: 'Repeat for several: deals carrying all of them',
    }),
  q: z.string().trim().min(1).max(200).optional(),
  sort: z.enum(['createdAt', 'amount', 'expectedCloseDate', 'updatedAt']).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type DealListQuery = z.infer<typeof dealListQuerySchema>;

export const boardSchema = z.object({
  pipeline: z.object({ id: z.uuid(), ref: z.string(), name: z.string() }),
  stages: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      position: z.number().int(),
      outcome: z.enum(['won', 'lost']).nullable(),
      probability: z.number().int(),
      count: z.number().int(),
      amounts: z.array(z.object({ currency: currencySchema, amount: z.number().int() })),
      deals: z.array(dealSchema),
    }),
  ),
});
