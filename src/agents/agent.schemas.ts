import { z } from 'zod';
import { pageQuery } from '../http/pagination.js';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Expected HH:MM (24-hour)');

export const workingHoursSchema = z.object({
  start: clockTime,
  end: clockTime,
  /** ISO weekdays: 1 = Monday … 7 = Sunday. */
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
});

export const agentInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).nullish(),
  phone: z.string().trim().max(40).nullish(),
  role: z.string().trim().min(1).max(60).optional(),
  languages: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
  territories: z.array(z.string().trim().min(1).max(80)).max(100).optional(),
  dailyLimit: z.number().int().min(0).max(100_000).optional(),
  weight: z.number().int().min(1).max(1000).optional(),
  active: z.boolean().optional(),
  available: z.boolean().optional(),
  workingHours: workingHoursSchema.nullish(),
});
export type AgentInput = z.infer<typeof agentInputSchema>;

export const createAgentSchema = agentInputSchema.extend({
  inviteUser: z
    .boolean()
    .optional()
    .describe('Also invite the agent as a user (role `agent`, linked to this agent); needs `email`'),
});
export type CreateAgentInput = z.infer<typeof createAgentSchema>;

export const agentPatchSchema = agentInputSchema.partial();
export type AgentPatch = z.infer<typeof agentPatchSchema>;

export const agentSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.string(),
  languages: z.array(z.string()),
  territories: z.array(z.string()),
  dailyLimit: z.number().int(),
  weight: z.number().int(),
  active: z.boolean(),
  available: z.boolean(),
  workingHours: workingHoursSchema.nullable(),
  /** Leads the engine gave this agent on the tenant-local current day. */
  assignedToday: z.number().int(),
  lastAssignedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Agent = z.infer<typeof agentSchema>;

export const agentListQuerySchema = z.object({
  active: z.enum(['true', 'false']).optional(),
  available: z.enum(['true', 'false']).optional(),
  ...pageQuery,
});
