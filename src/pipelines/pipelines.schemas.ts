import { z } from 'zod';
import { businessDurationInput } from '../calendars/index.js';
import { leadStatuses } from '../leads/index.js';

const name = z.string().trim().min(1).max(120);

export const pipelineKinds = ['lead', 'contact', 'deal'] as const;

const templateTypes = ['pipeline', 'manual', 'follow_up', 'call', 'other'] as const;
const templatePriorities = ['low', 'medium', 'high', 'urgent'] as const;

/** A task a stage makes for each record entering it (issue 20). */
export const taskTemplateInputSchema = z.object({
  key: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i)
    .optional()
    .meta({ description: 'Unique in the stage (default: t1, t2… by position)' }),
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().max(5000).nullable().optional(),
  type: z.enum(templateTypes).optional().meta({ description: "Default 'pipeline'" }),
  priority: z.enum(templatePriorities).optional().meta({ description: "Default 'medium'" }),
  sla: businessDurationInput()
    .nullable()
    .optional()
    .meta({ description: 'ISO 8601 business-time SLA (null or absent: the matching SLA policy, if any)' }),
  dueIn: businessDurationInput()
    .nullable()
    .optional()
    .meta({ description: "ISO 8601 business time from entry to the task's due time (null: none)" }),
});
export type TaskTemplateInput = z.infer<typeof taskTemplateInputSchema>;

/** A stage as a request names it (creating a pipeline, adding a stage). */
export const stageInputSchema = z.object({
  name,
  probability: z.number().int().min(0).max(100).optional().meta({ description: 'Win probability, percent' }),
  rottingDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .nullable()
    .optional()
    .meta({ description: 'A record sitting here longer than this many days is rotting (null: never)' }),
  requiredFields: z
    .array(z.string().min(1).max(80))
    .max(30)
    .optional()
    .meta({ description: 'Fields that must be filled to enter the stage (`email`, `customFields.budget`)' }),
  outcome: z.enum(['won', 'lost']).nullable().optional(),
  leadStatus: z
    .enum(leadStatuses)
    .nullable()
    .optional()
    .meta({ description: 'Lead pipelines: the status a lead takes on entering the stage' }),
  taskTemplates: z
    .array(taskTemplateInputSchema)
    .max(20)
    .optional()
    .meta({ description: "Tasks created for the record's owner on entering the stage" }),
  cancelTasksOnExit: z
    .boolean()
    .optional()
    .meta({ description: 'Leaving the stage cancels the open tasks its templates made (default true)' }),
});
export type StageInput = z.infer<typeof stageInputSchema>;

export const createPipelineSchema = z.object({
  kind: z.enum(pipelineKinds),
  name,
  mode: z.enum(['forward_only', 'free']).optional(),
  isDefault: z.boolean().optional(),
  winOnQuotationAccepted: z.boolean().optional(),
  stages: z.array(stageInputSchema).min(1).max(50),
});
export type CreatePipelineInput = z.infer<typeof createPipelineSchema>;

export const patchPipelineSchema = z
  .object({
    name: name.optional(),
    mode: z.enum(['forward_only', 'free']).optional(),
    isDefault: z.boolean().optional(),
    winOnQuotationAccepted: z.boolean().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'Nothing to update');
export type PatchPipelineInput = z.infer<typeof patchPipelineSchema>;

export const patchStageSchema = stageInputSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'Nothing to update');

export const reorderStagesSchema = z.object({
  stageIds: z
    .array(z.uuid())
    .min(1)
    .max(50)
    .meta({ description: 'Every stage of the pipeline, in the new order' }),
});

export const stageSchema = z.object({
  id: z.uuid(),
  position: z.number().int(),
  name: z.string(),
  probability: z.number().int(),
  rottingDays: z.number().int().nullable(),
  requiredFields: z.array(z.string()),
  outcome: z.enum(['won', 'lost']).nullable(),
  leadStatus: z.enum(leadStatuses).nullable(),
  taskTemplates: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      description: z.string().nullable(),
      type: z.enum(templateTypes),
      priority: z.enum(templatePriorities),
      sla: z.string().nullable(),
      dueIn: z.string().nullable(),
    }),
  ),
  cancelTasksOnExit: z.boolean(),
});
export type Stage = z.infer<typeof stageSchema>;

export const pipelineSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'PW-1' }),
  kind: z.enum(pipelineKinds),
  name: z.string(),
  mode: z.enum(['forward_only', 'free']),
  isDefault: z.boolean(),
  winOnQuotationAccepted: z.boolean(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  stages: z.array(stageSchema),
});
export type Pipeline = z.infer<typeof pipelineSchema>;

export const pipelineIdParams = z.object({
  id: z
    .union([z.uuid(), z.string().regex(/^PW-\d{1,15}$/i)])
    .meta({ description: 'Pipeline uuid or reference (PW-1)' }),
});
export const stageIdParams = pipelineIdParams.extend({ stageId: z.uuid() });

export const moveStageSchema = z.object({
  stageId: z.uuid(),
  reason: z.string().trim().min(1).max(2000).optional(),
  reopen: z.boolean().optional(),
});

export const stageEntrySchema = z.object({
  id: z.string(),
  pipelineId: z.uuid(),
  stageId: z.uuid(),
  stage: z.string(),
  enteredAt: z.date(),
  exitedAt: z.date().nullable(),
  actor: z
    .object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable(), name: z.string() })
    .nullable(),
  reason: z.string().nullable(),
  durationMs: z.number().int().meta({ description: 'exitedAt (or now) − enteredAt' }),
});

export const stageHistorySchema = z.object({
  /** Oldest first. */
  entries: z.array(stageEntrySchema),
  timeInStage: z.array(
    z.object({
      stageId: z.uuid(),
      stage: z.string(),
      durationMs: z.number().int(),
      entries: z.number().int(),
    }),
  ),
});
