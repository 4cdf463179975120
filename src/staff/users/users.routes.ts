import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { pageSchema } from '../../http/pagination.js';
import { orNotFound } from '../../http/or-not-found.js';
import { callerOf } from '../../http/request-context.js';
import { createUser, reinviteUser, updateUser } from './user-admin.js';
import { findUser, listUsers } from './user.repository.js';
import {
  createUserSchema,
  updateUserSchema,
  userIdParams,
  userListQuerySchema,
  userSchema,
  userWithInvitationSchema,
} from './user.schemas.js';

const tag = 'Users';

/** `/api/crm/users`: the people who log in to the tenant. Users are disabled, never deleted (audit). */
export function registerUserRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/users',
      tag,
      summary: 'Create a user: with `password` active at once, else invited',
      description:
        'Without `password` the user is `invited` and `invitation` says how the single-use link went out: by email, or `answered` (no mail channel: pass `invitationToken` on). Only an owner (or an API key acting as the tenant) may create an owner.',
      body: createUserSchema,
      response: userWithInvitationSchema,
      errors: { 403: 'Lacks users.manage, or makes an owner without being one', 409: 'Email or agent taken' },
      handler: ({ req, body }) => createUser(services, callerOf(req), body),
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/users',
      tag,
      summary: 'List users (by reference), filtered by status, role, team or name/email',
      query: userListQuerySchema,
      response: pageSchema(userSchema),
      handler: ({ req, query }) => listUsers(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/users/:id',
      tag,
      summary: 'Show a user (uuid or U-1001)',
      params: userIdParams,
      response: userSchema,
      errors: { 404: 'No such user' },
      handler: async ({ req, params }) =>
        orNotFound(await findUser(callerOf(req).handle.db, params.id), 'User', { id: params.id }),
    })
    .route({
      method: 'patch',
      permission: 'users.manage',
      path: '/users/:id',
      tag,
      summary: "Change a user's name, phone, role, agent profile, teams or status",
      description:
        '`status`: `disabled` ends their sessions at once; `active` re-enables a disabled user. The last active owner cannot be demoted or disabled (409); only an owner may change an owner or make one (403).',
      params: userIdParams,
      body: updateUserSchema,
      response: userSchema,
      errors: { 404: 'No such user', 409: 'Last active owner, agent taken, or status change not possible' },
      handler: ({ req, params, body }) => updateUser(services, callerOf(req), params.id, body),
    })
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/users/:id/disable',
      tag,
      summary: 'Disable a user: their sessions and the API keys acting as them stop at once',
      params: userIdParams,
      status: 200,
      response: userSchema,
      errors: { 404: 'No such user', 409: 'The last active owner' },
      handler: ({ req, params }) => updateUser(services, callerOf(req), params.id, { status: 'disabled' }),
    })
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/users/:id/enable',
      tag,
      summary: 'Enable a disabled user (invited again when they never set a password)',
      params: userIdParams,
      status: 200,
      response: userSchema,
      errors: { 404: 'No such user', 409: 'The user is invited, not disabled' },
      handler: ({ req, params }) => updateUser(services, callerOf(req), params.id, { status: 'active' }),
    })
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/users/:id/invite',
      tag,
      summary: 'Send an invited user a new invitation (earlier links stop working)',
      params: userIdParams,
      status: 200,
      response: userWithInvitationSchema,
      errors: { 404: 'No such user', 409: 'The user is not invited (active or disabled)' },
      handler: ({ req, params }) => reinviteUser(services, callerOf(req), params.id),
    });
}
