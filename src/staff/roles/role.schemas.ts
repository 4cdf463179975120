import { z } from 'zod';
import { grantSchema } from '../../auth/permissions.js';
import { pageQuery } from '../../http/pagination.js';
import { roleKeySchema } from '../users/user.schemas.js';

const grants = z
  .array(grantSchema)
  .max(100)
  .describe('`leads.read:team`, `pii.read`, …: see GET /api/crm/permissions');

export const createRoleSchema = z.object({
  key: roleKeySchema,
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(1000).nullish(),
  grants,
});
export type CreateRoleInput = z.infer<typeof createRoleSchema>;

export const updateRoleSchema = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  description: z.string().trim().max(1000).nullish(),
  grants: grants.optional(),
});
export type UpdateRoleInput = z.infer<typeof updateRoleSchema>;

export const roleListQuerySchema = z.object({ ...pageQuery });
export const roleKeyParams = z.object({ key: roleKeySchema });

export const roleSchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  grants: z.array(z.string()),
  builtIn: z.boolean().describe('Built-in roles (owner, admin, manager, agent, viewer) are read-only'),
  userCount: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Role = z.infer<typeof roleSchema>;

export const permissionCatalogueSchema = z.object({
  permissions: z.array(
    z.object({
      permission: z.string(),
      scoped: z.boolean().describe('Granted with a scope: `permission:own`, `:team` or `:all`'),
      description: z.string(),
    }),
  ),
  scopes: z.array(z.enum(['own', 'team', 'all'])),
});
