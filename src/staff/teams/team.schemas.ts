import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';

const member = z.object({
  userId: z.uuid(),
  isManager: z.boolean().default(false).describe('A manager sees the leads of every member (team scope)'),
});

export const createTeamSchema = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(1000).nullish(),
  members: z.array(member).max(1000).optional(),
});
export type CreateTeamInput = z.infer<typeof createTeamSchema>;

export const updateTeamSchema = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  description: z.string().trim().max(1000).nullish(),
});
export type UpdateTeamInput = z.infer<typeof updateTeamSchema>;

export const membersSchema = z.object({ members: z.array(member).max(1000) });
export type TeamMemberInput = z.infer<typeof member>;
export const addMemberSchema = member;

export const teamListQuerySchema = z.object({ ...pageQuery });

export const teamMemberSchema = z.object({
  userId: z.uuid(),
  ref: z.string(),
  name: z.string(),
  email: z.string(),
  status: z.enum(['invited', 'active', 'disabled']),
  isManager: z.boolean(),
});

export const teamSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  members: z.array(teamMemberSchema),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Team = z.infer<typeof teamSchema>;

export const teamIdParams = z.object({ id: z.uuid() });
export const teamMemberParams = teamIdParams.extend({ userId: z.uuid() });
