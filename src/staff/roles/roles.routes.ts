import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import { permissionCatalogue, permissions } from '../../auth/permissions.js';
import type { ApiRouter } from '../../http/api-router.js';
import { pageSchema } from '../../http/pagination.js';
import { orNotFound } from '../../http/or-not-found.js';
import { callerOf } from '../../http/request-context.js';
import { announceStaffChange } from '../announce.js';
import { deleteRole, findRole, insertRole, listRoles, updateRole } from './role.repository.js';
import {
  createRoleSchema,
  permissionCatalogueSchema,
  roleKeyParams,
  roleListQuerySchema,
  roleSchema,
  updateRoleSchema,
} from './role.schemas.js';

const tag = 'Roles';

/** `/api/crm/roles` (built-in and custom) and `/api/crm/permissions` (what a role can grant). */
export function registerRoleRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/permissions',
      tag,
      summary: 'The permissions a role can grant, for role editors',
      response: permissionCatalogueSchema,
      handler: async () => ({
        permissions: permissions.map((permission) => ({
          permission,
          scoped: permissionCatalogue[permission].scoped,
          description: permissionCatalogue[permission].description,
        })),
        scopes: ['own' as const, 'team' as const, 'all' as const],
      }),
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/roles',
      tag,
      summary: 'List built-in and custom roles with their grants and user counts',
      query: roleListQuerySchema,
      response: pageSchema(roleSchema),
      handler: ({ req, query }) => listRoles(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/roles/:key',
      tag,
      summary: 'Show a role',
      params: roleKeyParams,
      response: roleSchema,
      errors: { 404: 'No such role' },
      handler: async ({ req, params }) =>
        orNotFound(await findRole(callerOf(req).handle.db, params.key), 'Role', { key: params.key }),
    })
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/roles',
      tag,
      summary: 'Create a custom role from the permission catalogue',
      body: createRoleSchema,
      response: roleSchema,
      errors: { 409: 'A role with this key exists' },
      handler: async ({ req, body }) => {
        const { handle } = callerOf(req);
        await insertRole(handle.db, body);
        return (await findRole(handle.db, body.key))!;
      },
    })
    .route({
      method: 'patch',
      permission: 'users.manage',
      path: '/roles/:key',
      tag,
      summary: "Change a custom role's name, description or grants (its users' access changes at once)",
      params: roleKeyParams,
      body: updateRoleSchema,
      response: roleSchema,
      errors: { 404: 'No such role', 409: 'A built-in role (read-only)' },
      handler: async ({ req, params, body }) => {
        const { handle } = callerOf(req);
        await handle.db.transaction().execute((trx) => updateRole(trx, params.key, body));
        await announceStaffChange(services, handle.tenant.id);
        return (await findRole(handle.db, params.key))!;
      },
    })
    .route({
      method: 'delete',
      permission: 'users.manage',
      path: '/roles/:key',
      tag,
      summary: 'Delete a custom role that no user has',
      params: roleKeyParams,
      response: z.object({ key: z.string(), deleted: z.literal(true) }),
      errors: { 404: 'No such role', 409: 'A built-in role, or users have it' },
      handler: async ({ req, params }) => {
        const { handle } = callerOf(req);
        await handle.db.transaction().execute((trx) => deleteRole(trx, params.key));
        await announceStaffChange(services, handle.tenant.id);
        return { key: params.key, deleted: true as const };
      },
    });
}
