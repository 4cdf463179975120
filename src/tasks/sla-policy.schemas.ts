import { z } from 'zod';
import { businessDurationInput } from '../calendars/index.js';
import { taskPriorities, taskStatuses, taskTypes } from './tasks.tables.js';

export const slaPolicySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  taskType: z.enum(taskTypes).nullable().meta({ description: 'null: any type' }),
  priority: z.enum(taskPriorities).nullable().meta({ description: 'null: any priority' }),
  duration: z.string().meta({ description: 'ISO 8601 business-time duration' }),
  atRiskPercent: z.number().int().meta({ description: 'At risk when this share of the time is left' }),
  pauseStatuses: z.array(z.enum(taskStatuses)),
  calendarId: z
    .uuid()
    .nullable()
    .meta({ description: "null: the assignee's team calendar, else the default" }),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type SlaPolicy = z.infer<typeof slaPolicySchema>;

export const slaPolicyInputSchema = z.object({
  name: z.string().trim().min(1).max(120),
  taskType: z.enum(taskTypes).nullable().default(null),
  priority: z.enum(taskPriorities).nullable().default(null),
  duration: businessDurationInput(),
  atRiskPercent: z.number().int().min(1).max(99).default(20),
  pauseStatuses: z
    .array(z.enum(['pending', 'in_progress', 'waiting']))
    .max(3)
    .default(['waiting'])
    .meta({ description: 'Statuses that stop the clock (default: waiting on the customer)' }),
  calendarId: z.uuid().nullable().default(null),
});
export type SlaPolicyInput = z.infer<typeof slaPolicyInputSchema>;

export const slaPolicyIdParams = z.object({ id: z.uuid() });
