import { z } from 'zod';
import { dateInput } from '../http/input-contract.js';
import { piiEmail, piiPhone } from '../http/pii.js';

export const leadStatuses = [
  'new',
  'contacted',
  'qualified',
  'proposal',
  'negotiation',
  'won',
  'lost',
  'dormant',
] as const;
export const terminalStatuses: readonly string[] = ['won', 'lost'];

const text = (max: number) => z.string().trim().min(1).max(max);
const tags = z.array(z.string().trim().toLowerCase().min(1).max(60)).max(50);

export const leadFieldsSchema = z.object({
  firstName: text(120).nullish(),
  lastName: text(120).nullish(),
  /** Full name; split into first and last name when those are not given. */
  name: text(240).optional(),
  phone: text(40),
  email: z.email().max(320).nullish(),
  company: text(200).nullish(),
  source: z.string().trim().toLowerCase().min(1).max(60).nullish(),
  city: text(120).nullish(),
  state: text(120).nullish(),
  pincode: text(20).nullish(),
  language: text(40).nullish(),
  tags: tags.optional(),
  followUpAt: dateInput().nullish(),
  customFields: z.record(z.string(), z.unknown()).optional(),
});

export const ingestLeadSchema = leadFieldsSchema.extend({
  status: z.enum(leadStatuses).optional(),
  /** An explicit owner skips the assignment engine. */
  assignedAgentId: z.uuid().optional(),
  /** `false` stores the lead unassigned without running the engine. */
  assign: z.boolean().optional(),
});
export type IngestLeadInput = z.infer<typeof ingestLeadSchema>;

export const patchLeadSchema = leadFieldsSchema
  .partial()
  .extend({
    status: z.enum(leadStatuses).optional(),
    /** Required to move a won or lost lead to another status. */
    reopen: z.boolean().optional(),
    /** Never call the lead; kept in step with the do-not-call list (`/api/crm/dnc`). */
    doNotCall: z.boolean().optional().meta({
      description: 'Never call the lead: true lists its number on the do-not-call list, false takes it off',
    }),
    /** `null` unassigns. */
    assignedAgentId: z.uuid().nullable().optional(),
    /** Sets the score by hand (automatic scoring then leaves it); `null` clears it and rescores. */
    score: z.number().int().min(0).max(100).nullable().optional().meta({
      description:
        'Manual score 0–100: automatic scoring no longer changes it; null clears it and the score is computed again',
    }),
  })
  .refine((patch) => Object.keys(patch).some((key) => key !== 'reopen'), 'Nothing to update');
export type PatchLeadInput = z.infer<typeof patchLeadSchema>;

export const leadSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'LD-100001' }),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  name: z.string(),
  phone: piiPhone(),
  email: piiEmail().nullable(),
  company: z.string().nullable(),
  source: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  pincode: z.string().nullable(),
  language: z.string().nullable(),
  status: z.enum(leadStatuses),
  tags: z.array(z.string()),
  score: z.number().int().meta({ description: 'Lead score, 0–100' }),
  scoreManual: z
    .boolean()
    .meta({ description: 'true: the score was set by hand and automatic scoring leaves it until cleared' }),
  hot: z.boolean(),
  followUpAt: z.date().nullable(),
  customFields: z.record(z.string(), z.unknown()),
  assignedAgentId: z.uuid().nullable(),
  assignedAgent: z
    .object({ id: z.uuid(), name: z.string() })
    .nullable()
    .meta({ description: 'The assigned agent (null when unassigned)' }),
  assignedAt: z.date().nullable(),
  unassignedReason: z.string().nullable(),
  contactId: z.uuid().nullable(),
  pipelineId: z.uuid().nullable().meta({ description: "The lead's pipeline (null: in none)" }),
  stageId: z
    .uuid()
    .nullable()
    .meta({ description: 'Its stage: while it has one, the stage sets its status (POST /leads/{id}/stage)' }),
  stageEnteredAt: z.date().nullable(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  lastActivityAt: z.date().nullable().meta({ description: "Time of the lead's newest activity entry" }),
  doNotCall: z.boolean().meta({ description: 'Never called (by hand, or because the lead asked)' }),
  callStatus: z.string().nullable().meta({ description: "The state of the lead's latest call" }),
  callAttempts: z.number().int().meta({ description: 'Calls placed to the lead' }),
  callCount: z
    .object({
      answered: z.number().int(),
      missed_call: z.number().int(),
      not_connected: z.number().int(),
      switched_off: z.number().int(),
    })
    .meta({ description: "The lead's ended calls by outcome" }),
  lastContactAt: z.date().nullable().meta({ description: 'When a call with the lead was last answered' }),
  disposition: z
    .string()
    .nullable()
    .meta({ description: "The salesperson's disposition after the last call" }),
  dispositionReason: z.string().nullable(),
});
export type Lead = z.infer<typeof leadSchema>;

export const leadIdParams = z.object({
  id: z
    .union([z.uuid(), z.string().regex(/^LD-\d{1,15}$/i)])
    .meta({ description: 'Lead uuid or reference (LD-100001)' }),
});
