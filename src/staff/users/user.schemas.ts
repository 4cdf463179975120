import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';
import { passwordPolicy } from '../passwords.js';

export const roleKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'A role key: lowercase letters, digits and _, 2 to 40 characters');

/** A user's uuid or reference (`U-1001`). */
export const userIdParams = z.object({
  id: z
    .union([z.uuid(), z.string().regex(/^U-\d{1,15}$/i)])
    .meta({ description: 'User uuid or reference (U-1001)' }),
});

const teamIds = z.array(z.uuid()).max(100);

export const createUserSchema = z.object({
  email: z.email().max(254),
  name: z.string().trim().min(1).max(200),
  phone: z.string().trim().max(40).nullish(),
  role: roleKeySchema.describe('The key of a built-in or custom role'),
  teamIds: teamIds.optional(),
  agentId: z
    .uuid()
    .nullish()
    .describe('The agent profile this user works as (leads assigned to it are theirs)'),
  password: z
    .string()
    .max(passwordPolicy.maxLength)
    .optional()
    .describe('An initial password (the user is active at once); without it the user is invited'),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  phone: z.string().trim().max(40).nullish(),
  role: roleKeySchema.optional(),
  agentId: z.uuid().nullish(),
  teamIds: teamIds.optional().describe('Replaces the memberships (kept as manager where already one)'),
  status: z.enum(['active', 'disabled']).optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

export const userListQuerySchema = z.object({
  status: z.enum(['invited', 'active', 'disabled']).optional(),
  role: roleKeySchema.optional(),
  teamId: z.uuid().optional(),
  q: z.string().trim().min(1).max(200).optional().describe('Part of the name or email'),
  ...pageQuery,
});
export type UserListQuery = z.infer<typeof userListQuerySchema>;

export const userTeamSchema = z.object({ id: z.uuid(), name: z.string(), isManager: z.boolean() });

export const userSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'U-1001' }),
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role: z.string(),
  status: z.enum(['invited', 'active', 'disabled']),
  agentId: z.uuid().nullable(),
  teams: z.array(userTeamSchema),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type User = z.infer<typeof userSchema>;

export const invitationSchema = z.object({
  delivery: z.enum(['email', 'answered']).describe('`answered`: no mail channel, pass the token on'),
  invitationToken: z.string().optional(),
  expiresAt: z.string().optional(),
});

export const userWithInvitationSchema = userSchema.extend({ invitation: invitationSchema.optional() });
