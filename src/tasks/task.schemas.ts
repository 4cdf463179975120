import { z } from 'zod';
import { businessDurationInput } from '../calendars/index.js';
import { flagParam, isoDateTimeInput, listParam } from '../http/input-contract.js';
import { slaStatuses, taskPriorities, taskStatuses, taskTypes } from './tasks.tables.js';
import { uuidPattern } from '../http/uuid.js';

const actorSchema = z.object({
  type: z.enum(['user', 'api_key', 'system']),
  id: z.string().nullable(),
  name: z.string(),
});

export const taskSlaSchema = z.object({
  policyId: z.uuid().nullable(),
  duration: z.string().meta({ description: 'ISO 8601 business-time duration, e.g. PT4H' }),
  atRiskPercent: z.number().int(),
  pauseStatuses: z.array(z.enum(taskStatuses)),
  calendarId: z.uuid().nullable().meta({ description: 'null: the tenant default calendar' }),
});

export const taskSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ description: 'T-1, T-2, …' }),
  title: z.string(),
  description: z.string().nullable(),
  type: z.enum(taskTypes),
  priority: z.enum(taskPriorities),
  status: z.enum(taskStatuses),
  record: z
    .object({ kind: z.enum(['lead', 'contact', 'deal']), id: z.uuid() })
    .nullable()
    .meta({ description: 'The lead, contact or deal the task is about' }),
  assigneeId: z
    .uuid()
    .nullable()
    .meta({ description: "The assignee's agent profile (visibility goes by it)" }),
  assignee: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  dueAt: z.date().nullable(),
  sla: taskSlaSchema.nullable(),
  slaStatus: z.enum(slaStatuses),
  slaStartedAt: z.date().nullable(),
  slaPaused: z.boolean().meta({ description: 'The clock is stopped (a pausing status)' }),
  slaAtRiskAt: z.date().nullable(),
  slaDeadline: z.date().nullable().meta({ description: 'null while paused (it moves by the pause)' }),
  slaRemainingMs: z.number().int().nullable().meta({ description: 'Business time left (0 once breached)' }),
  slaBreachedAt: z.date().nullable(),
  slaBreachMs: z.number().int().nullable().meta({
    description: 'Business time past the deadline: to now while open, to completion once completed',
  }),
  stageId: z.uuid().nullable().meta({ description: 'A pipeline task: the stage whose template made it' }),
  templateKey: z.string().nullable(),
  completedAt: z.date().nullable(),
  completedBy: actorSchema.nullable(),
  completionNote: z.string().nullable(),
  cancelledAt: z.date().nullable(),
  createdBy: actorSchema,
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Task = z.infer<typeof taskSchema>;

/** Statuses a caller may set (overdue is the system's; completing goes through /complete or here). */
export const settableStatuses = ['pending', 'in_progress', 'waiting', 'completed', 'cancelled'] as const;

/** A uuid, or a record's ref with `prefix` (`D-12`). */
const uuidOrRef = (prefix: string) =>
  new RegExp(`^(${uuidPattern.source.slice(1, -1)}|${prefix}-\\d{1,18})$`, 'i');

const title = z.string().trim().min(1).max(300);
const description = z.string().trim().max(10_000).nullable();
const slaInput = businessDurationInput()
  .nullable()
  .meta({ description: 'Business-time duration (e.g. PT4H); null: no SLA; absent: the matching policy' });

export const createTaskSchema = z.object({
  title,
  description: description.optional(),
  type: z.enum(taskTypes).default('manual'),
  priority: z.enum(taskPriorities).default('medium'),
  status: z.enum(['pending', 'in_progress', 'waiting']).default('pending'),
  leadId: z
    .string()
    .regex(uuidOrRef('LD'), 'a lead id or ref (LD-n)')
    .optional()
    .meta({ description: 'Lead id or ref (LD-n)' }),
  contactId: z.uuid().optional(),
  dealId: z
    .string()
    .regex(uuidOrRef('D'), 'a deal id or ref (D-n)')
    .optional()
    .meta({ description: 'Deal id or ref (D-n)' }),
  assigneeId: z
    .uuid()
    .nullable()
    .optional()
    .meta({ description: "Agent profile; default: the record's owner, else your own agent profile" }),
  dueAt: isoDateTimeInput().nullable().optional(),
  sla: slaInput.optional(),
  slaPolicyId: z.uuid().optional().meta({ description: 'Apply this policy instead of the matching one' }),
});
export type CreateTaskInput = z.infer<typeof createTaskSchema>;

export const updateTaskSchema = z.object({
  title: title.optional(),
  description: description.optional(),
  type: z.enum(taskTypes).optional(),
  priority: z.enum(taskPriorities).optional(),
  status: z.enum(settableStatuses).optional(),
  assigneeId: z.uuid().nullable().optional(),
  dueAt: isoDateTimeInput().nullable().optional(),
  sla: slaInput.optional(),
  slaPolicyId: z.uuid().optional(),
});
export type UpdateTaskInput = z.infer<typeof updateTaskSchema>;

export const completeTaskSchema = z.object({
  note: z
    .string()
    .trim()
    .min(1)
    .max(10_000)
    .optional()
    .meta({ description: 'Also added as a note on the related lead or deal' }),
});

export const taskIdParams = z.object({
  id: z.string().regex(uuidOrRef('T'), 'a task id or ref (T-n)'),
});

export const taskListQuerySchema = z.object({
  status: listParam(z.enum(taskStatuses)).optional(),
  type: listParam(z.enum(taskTypes)).optional(),
  priority: listParam(z.enum(taskPriorities)).optional(),
  slaStatus: listParam(z.enum(slaStatuses)).optional(),
  assigneeId: z.union([z.uuid(), z.literal('unassigned')]).optional(),
  teamId: z.uuid().optional().meta({ description: "Tasks assigned to the team's members" }),
  leadId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  dealId: z.uuid().optional(),
  stageId: z.uuid().optional(),
  dueFrom: isoDateTimeInput().optional().meta({ description: 'Due at or after (instant)' }),
  dueTo: isoDateTimeInput().optional().meta({ description: 'Due before (instant, exclusive)' }),
  createdFrom: isoDateTimeInput().optional(),
  createdTo: isoDateTimeInput().optional().meta({ description: 'Exclusive' }),
  completedFrom: isoDateTimeInput().optional(),
  completedTo: isoDateTimeInput().optional().meta({ description: 'Exclusive' }),
  hasSla: flagParam().optional().meta({ description: 'true: tasks with an SLA; false: without' }),
  slaMet: flagParam()
    .optional()
    .meta({ description: 'true: tasks with an SLA completed within it; false: completed past it' }),
  sort: z.enum(['createdAt', 'dueAt', 'slaDeadline']).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type TaskListQuery = z.infer<typeof taskListQuerySchema>;
