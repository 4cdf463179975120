import { z } from 'zod';
import { pageQuery } from '../http/pagination.js';
import { leadFilterBodySchema } from '../leads/index.js';

/** A cohort's filter: a leads-list filter in a JSON body (`leadFilterBodySchema`). */
export const cohortFilterSchema = leadFilterBodySchema;

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(2000).nullable();
/** Kept as the client sent it (re-validated with `cohortFilterSchema` whenever it is used). */
const filterInput = z.record(z.string(), z.unknown()).meta({
  description: 'A leads-list filter, as GET /api/crm/leads takes it: {"status":["new"],"tags":["vip"]}',
});

export const createCohortBody = z.strictObject({
  name,
  description: description.optional(),
  filter: filterInput.default({}),
});
export type CreateCohortInput = z.infer<typeof createCohortBody>;

export const patchCohortBody = z
  .strictObject({
    name: name.optional(),
    description: description.optional(),
    filter: filterInput.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Give name, description or filter');
export type PatchCohortInput = z.infer<typeof patchCohortBody>;

export const cohortSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  filter: z.record(z.string(), z.unknown()),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Cohort = z.infer<typeof cohortSchema>;

export const cohortIdParams = z.strictObject({ id: z.uuid() });

export const listCohortsQuery = z.strictObject({ ...pageQuery });
export type ListCohortsQuery = z.infer<typeof listCohortsQuery>;

export const listAssignmentsQuery = z.strictObject({ ...pageQuery });
export type ListAssignmentsQuery = z.infer<typeof listAssignmentsQuery>;

export const capacityBases = ['dailyLimit', 'weight'] as const;

export const startAssignmentBody = z.strictObject({
  agentIds: z
    .array(z.uuid())
    .min(1)
    .max(100)
    .meta({ description: 'The agents to share the leads among (each at most once)' }),
  onlyUnassigned: z
    .boolean()
    .default(true)
    .meta({ description: "true: only the cohort's unassigned leads; false: its assigned leads move too" }),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .meta({ description: 'At most this many leads, oldest reference first' }),
  capacity: z.enum(capacityBases).optional().meta({
    description:
      "What each agent's share is proportional to: its daily limit, or its weight. Default: dailyLimit when every chosen agent has one, else weight",
  }),
});
export type StartAssignmentInput = z.infer<typeof startAssignmentBody>;

const count = z.number().int();

export const cohortAssignmentSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ description: 'Human id, per tenant: CAJ-1, CAJ-2, …' }),
  cohortId: z.uuid().nullable(),
  cohortName: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  onlyUnassigned: z.boolean(),
  limit: z.number().int().nullable(),
  capacity: z.enum(capacityBases),
  agents: z.array(
    z.object({
      agentId: z.uuid(),
      name: z.string(),
      capacity: count,
      share: z.number().meta({ description: "The agent's planned fraction of the leads (0–1)" }),
    }),
  ),
  processed: count,
  assigned: count,
  skipped: count,
  failed: count,
  failure: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
});
export type CohortAssignment = z.infer<typeof cohortAssignmentSchema>;

export const cohortAssignmentReportSchema = cohortAssignmentSchema.extend({
  report: z.object({
    byAgent: z.array(z.object({ agentId: z.uuid(), name: z.string(), assigned: count })),
    skippedByReason: z.record(z.string(), count),
    failedByReason: z.record(z.string(), count),
  }),
});

export const assignmentIdParams = z.strictObject({
  jobId: z
    .union([z.uuid(), z.string().regex(/^CAJ-\d{1,15}$/i)])
    .meta({ description: 'Distribution uuid or human id (CAJ-1)' }),
});

export const leadOutcomes = ['assigned', 'skipped', 'failed'] as const;

export const listOutcomesQuery = z.strictObject({
  ...pageQuery,
  outcome: z.enum(leadOutcomes).optional(),
});
export type ListOutcomesQuery = z.infer<typeof listOutcomesQuery>;

export const leadOutcomeSchema = z.object({
  position: count.meta({ description: 'The order in which the distribution handled the lead (from 1)' }),
  leadId: z.uuid(),
  leadRef: z.string().nullable(),
  outcome: z.enum(leadOutcomes),
  agentId: z.uuid().nullable(),
  reason: z.string().nullable().meta({
    description:
      'Why a lead was skipped or failed: already_assigned, already_with_agent, daily_limit_reached, agent_inactive, agent_not_found, lead_not_found, lead_archived',
  }),
  at: z.date(),
});
export type LeadOutcomeItem = z.infer<typeof leadOutcomeSchema>;
