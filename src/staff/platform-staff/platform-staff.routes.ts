import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import { platformCallerOf } from '../../auth/platform-auth.js';
import type { ApiRouter } from '../../http/api-router.js';
import { pageSchema } from '../../http/pagination.js';
import {
  createStaffBody,
  staffListQuery,
  staffUserSchema,
  updateStaffBody,
} from './platform-staff.schemas.js';

const tag = 'Platform staff';
const idParams = z.object({ id: z.uuid() });

/** `/api/platform/staff`: platform admins manage staff accounts (every change in the audit log). */
export function registerPlatformStaffRoutes(router: ApiRouter, services: AppServices): void {
  const staff = services.staffAuth.platformStaff;
  router
    .route({
      method: 'post',
      path: '/staff',
      platformRole: 'platform_admin',
      tag,
      summary: 'Add a platform staff member',
      description:
        'Without `password`, an initial password is generated and answered once as `initialPassword`.',
      body: createStaffBody,
      response: z.object({ staff: staffUserSchema, initialPassword: z.string().optional() }),
      errors: { 409: 'A staff member with this email exists' },
      handler: ({ req, body }) => staff.createStaff(body, platformCallerOf(req).actor),
    })
    .route({
      method: 'get',
      path: '/staff',
      platformRole: 'platform_admin',
      tag,
      summary: 'List platform staff by email',
      query: staffListQuery,
      response: pageSchema(staffUserSchema),
      handler: ({ query }) => staff.listStaff(query),
    })
    .route({
      method: 'get',
      path: '/staff/:id',
      platformRole: 'platform_admin',
      tag,
      summary: 'Show a platform staff member',
      params: idParams,
      response: staffUserSchema,
      errors: { 404: 'No such staff member' },
      handler: ({ params }) => staff.getStaff(params.id),
    })
    .route({
      method: 'patch',
      path: '/staff/:id',
      platformRole: 'platform_admin',
      tag,
      summary: "Change a staff member's name, role, status or password",
      description:
        '`status: disabled` (or a new password) ends their sessions: their next request is refused. A role change applies on their next request.',
      params: idParams,
      body: updateStaffBody,
      response: staffUserSchema,
      errors: { 404: 'No such staff member' },
      handler: ({ req, params, body }) => staff.updateStaff(params.id, body, platformCallerOf(req).actor),
    });
}
