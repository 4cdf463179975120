import { z } from 'zod';
import { dateInput, flagParam, listParam } from '../http/input-contract.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { stageHistoryFilterSchema } from '../pipelines/index.js';
import { leadSchema, leadStatuses } from './lead.schemas.js';

const list = listParam;
const flag = flagParam();

export const leadSortFields = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  score: 'score',
  ref: 'number',
  followUpAt: 'follow_up_at',
  /** First name, then last name, case-insensitive (a generated column). */
  name: 'sort_name',
  lastActivityAt: 'last_activity_at',
} as const;

/** Sort columns that may be null: their nulls come last in either order. */
export const nullableSortColumns: ReadonlySet<string> = new Set(['follow_up_at', 'last_activity_at']);

/** Sort columns holding times (their cursor value is an ISO string). */
export const timeSortColumns: ReadonlySet<string> = new Set([
  'created_at',
  'updated_at',
  'follow_up_at',
  'last_activity_at',
]);

export const leadListQuerySchema = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'Full-text / substring search over name, phone, email, company' }),
  status: list(z.enum(leadStatuses)).optional(),
  source: list(z.string().max(60)).optional(),
  agentId: z.union([z.uuid(), z.literal('unassigned')]).optional(),
  state: list(z.string().max(120)).optional(),
  city: list(z.string().max(120)).optional(),
  tags: list(z.string().max(60)).optional(),
  tagsMode: z.enum(['any', 'all']).default('any'),
  scoreMin: z.coerce.number().int().min(0).max(100).optional(),
  scoreMax: z.coerce.number().int().min(0).max(100).optional(),
  hot: flag.optional(),
  createdFrom: dateInput().optional(),
  createdTo: dateInput().optional().meta({ description: 'Created at or before this instant (inclusive)' }),
  createdBefore: dateInput()
    .optional()
    .meta({ description: 'Created before this instant (exclusive; the dashboard periods use it)' }),
  updatedFrom: dateInput().optional(),
  updatedTo: dateInput().optional(),
  followUpDue: flag.optional().meta({ description: 'true: follow-up date reached; false: none due' }),
  rotting: flag.optional().meta({
    description:
      'true: in a stage with a rotting threshold and there longer than it (from stage entry or last activity, the later); false: not rotting',
  }),
  converted: flag.optional().meta({ description: 'true: converted into a contact; false: not converted' }),
  ...stageHistoryFilterSchema,
  archived: z.enum(['false', 'true', 'all']).default('false'),
  sort: z
    .enum(Object.keys(leadSortFields) as [keyof typeof leadSortFields])
    .default('createdAt')
    .meta({
      description:
        'Sort key; ties broken by id. followUpAt and lastActivityAt: leads without one come last in either order. name: first then last name, case-insensitive',
    }),
  order: z.enum(['asc', 'desc']).default('desc'),
  ...pageQuery,
  page: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .meta({ description: 'Page number, for a UI that jumps to a page (a cursor wins over it)' }),
});
export type LeadListQuery = z.infer<typeof leadListQuerySchema>;

/** The list's paging and order parameters: everything else in it is a filter. */
export const leadPagingKeys = { sort: true, order: true, limit: true, page: true, cursor: true } as const;

/** The leads list's filters without its paging and order: what a saved segment (a cohort) stores. */
export const leadFilterSchema = leadListQuerySchema.omit(leadPagingKeys);
export type LeadFilter = z.infer<typeof leadFilterSchema>;

/**
 * A leads-list filter in a JSON body (a cohort's, a bulk queueing's): the list's own query schema
 * without its paging and order, unknown fields refused. The list takes query strings; a JSON body
 * may also say `true`/`false` for its flags (`hot`, `followUpDue`, `archived`), read as the strings
 * the list expects.
 */
export const leadFilterBodySchema = z.preprocess(
  (value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value).map(([key, item]) => [key, typeof item === 'boolean' ? String(item) : item]),
        )
      : value,
  leadFilterSchema.strict(),
);

/** The leads list's paging and order alone, for lists of a saved filter's leads. */
export const leadPagingSchema = leadListQuerySchema.pick(leadPagingKeys);

/** Counting the matches stops past this many: an exact count of a huge match set costs a scan of it. */
export const exactTotalCap = 10_000;

export const leadPageSchema = pageSchema(leadSchema).extend({
  total: z
    .number()
    .int()
    .meta({
      description: `Number of matching leads, exact up to ${exactTotalCap.toLocaleString('en')}; when more match, it is ${exactTotalCap.toLocaleString('en')} and totalCapped is true`,
    }),
  totalCapped: z.boolean().meta({
    description: `true when more than ${exactTotalCap.toLocaleString('en')} leads match (total is then the cap)`,
  }),
  limit: z.number().int(),
  page: z.number().int().nullable(),
});
