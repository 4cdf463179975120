import { z } from 'zod';
import { listParam } from '../http/input-contract.js';
import { leadFilterBodySchema } from '../leads/index.js';
import { callPriorities, queueEntryStatuses } from './dialer.tables.js';

const campaignName = z.string().trim().min(1).max(100);

export const queueLeadsSchema = z.object({
  leadIds: z.array(z.uuid()).min(1).max(1000),
  priority: z.enum(callPriorities),
  campaign: campaignName.optional().meta({
    description: 'The campaign the calls count towards (abandonment cap, stats); default `default`',
  }),
});
export type QueueLeadsInput = z.infer<typeof queueLeadsSchema>;

export const queueEntrySchema = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  campaign: z.string(),
  priority: z.enum(callPriorities),
  status: z
    .enum(queueEntryStatuses)
    .meta({ description: '`waiting` / `dialing` while in the queue; the others are final' }),
  attempts: z.number().int(),
  nextAttemptAt: z
    .date()
    .nullable()
    .meta({ description: 'Not dialled before (backoff, calling hours, cooldown)' }),
  lastCallId: z.uuid().nullable(),
  lastOutcome: z.string().nullable(),
  queuedAt: z.date(),
  finishedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type QueueEntry = z.infer<typeof queueEntrySchema>;

export const skippedLeadSchema = z.object({
  leadId: z.uuid(),
  reason: z
    .enum(['not_found', 'already_queued', 'do_not_call'])
    .meta({ description: '`not_found` also for a lead the caller may not change' }),
});

export const queueLeadsResultSchema = z.object({
  queued: z.array(queueEntrySchema),
  skipped: z.array(skippedLeadSchema),
});
export type QueueLeadsResult = z.infer<typeof queueLeadsResultSchema>;

export const queueListQuerySchema = z.object({
  status: listParam(z.enum(queueEntryStatuses))
    .optional()
    .meta({ description: 'Default: waiting and dialing' }),
  priority: listParam(z.enum(callPriorities)).optional(),
  campaign: campaignName.optional(),
  leadId: z.uuid().optional(),
});
export type QueueListQuery = z.infer<typeof queueListQuerySchema>;

export const queueEntryParams = z.object({ id: z.uuid() });

/** Most leads one bulk queueing takes (a bigger segment: narrow the filter or queue it in parts). */
export const maxLeadsPerFilter = 10_000;

export const queueFilterSchema = z.object({
  filter: leadFilterBodySchema.meta({
    description: 'A leads-list filter, as GET /api/crm/leads takes it: {"status":["new"],"tags":["vip"]}',
  }),
  priority: z.enum(callPriorities),
  campaign: campaignName.optional(),
});
export type QueueFilterInput = z.infer<typeof queueFilterSchema>;

export const queueFilterResultSchema = z.object({
  matched: z
    .number()
    .int()
    .meta({ description: `Leads the filter matched (at most ${maxLeadsPerFilter})` }),
  queued: z.number().int(),
  skipped: z.object({
    already_queued: z.number().int(),
    do_not_call: z.number().int(),
    not_found: z.number().int(),
  }),
  truncated: z
    .boolean()
    .meta({ description: `More than ${maxLeadsPerFilter} leads matched; the first ones were queued` }),
});
export type QueueFilterResult = z.infer<typeof queueFilterResultSchema>;
