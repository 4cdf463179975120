import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';

const role = z.enum(['platform_admin', 'platform_support']);
const email = z.email().max(254);
const password = z.string().min(1).max(1024);

export const platformLoginBody = z.object({
  email: z.string().trim().min(3).max(254),
  password,
});

export const platformSessionUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role,
});

export const platformTokenPairSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  refreshToken: z.string(),
  user: platformSessionUserSchema,
});

export const staffUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role,
  status: z.enum(['active', 'disabled']),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const createStaffBody = z.object({
  email: z.string().trim().pipe(email),
  name: z.string().trim().min(1).max(200),
  role,
  password: password
    .optional()
    .describe('The initial password; without it one is generated and answered once'),
});

export const updateStaffBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  role: role.optional(),
  status: z
    .enum(['active', 'disabled'])
    .optional()
    .describe('`disabled` ends their sessions: the next request is refused'),
  password: password.optional().describe("A new password (ends the staff member's sessions)"),
});

export const staffListQuery = z.object({
  ...pageQuery,
  status: z.enum(['active', 'disabled']).optional(),
  role: role.optional(),
});

export type PlatformLoginInput = z.infer<typeof platformLoginBody>;
export type PlatformSessionUser = z.infer<typeof platformSessionUserSchema>;
export type PlatformTokenPair = z.infer<typeof platformTokenPairSchema>;
export type StaffUser = z.infer<typeof staffUserSchema>;
export type CreateStaffInput = z.input<typeof createStaffBody>;
export type UpdateStaffInput = z.infer<typeof updateStaffBody>;
export type StaffListQuery = z.infer<typeof staffListQuery>;
