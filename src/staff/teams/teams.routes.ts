import type { Request } from 'express';
import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { TenantDb } from '../../db/tenant-database.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { pageSchema } from '../../http/pagination.js';
import { orNotFound } from '../../http/or-not-found.js';
import { callerOf } from '../../http/request-context.js';
import { announceStaffChange } from '../announce.js';
import {
  deleteTeam,
  findTeam,
  insertTeam,
  listTeams,
  lockTeam,
  removeMember,
  replaceMembers,
  updateTeamRow,
  upsertMembers,
} from './team.repository.js';
import {
  addMemberSchema,
  createTeamSchema,
  membersSchema,
  teamIdParams,
  teamListQuerySchema,
  teamMemberParams,
  teamSchema,
  updateTeamSchema,
} from './team.schemas.js';

const tag = 'Teams';

/**
 * `/api/crm/teams`: teams and their members. A manager's team scope reaches every member's
 * leads, so each change drops cached access everywhere (announced after the commit).
 */
export function registerTeamRoutes(router: ApiRouter, services: AppServices): void {
  /** Runs a change of one team (404 when absent) in a transaction, announces it, answers the team. */
  const changeTeam = async (req: Request, id: string, change: (trx: TenantDb) => Promise<void>) => {
    const { handle } = callerOf(req);
    await handle.db.transaction().execute(async (trx) => {
      orNotFound(await lockTeam(trx, id), 'Team', { id });
      await change(trx);
    });
    await announceStaffChange(services, handle.tenant.id);
    return (await findTeam(handle.db, id))!;
  };

  router
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/teams',
      tag,
      summary: 'Create a team (name unique, case-insensitive), optionally with members',
      body: createTeamSchema,
      response: teamSchema,
      errors: { 409: 'A team with this name exists' },
      handler: async ({ req, body }) => {
        const { handle } = callerOf(req);
        const id = await handle.db.transaction().execute(async (trx) => {
          const id = await insertTeam(trx, { name: body.name, description: body.description ?? null });
          await upsertMembers(trx, id, body.members ?? [], 'body.members');
          return id;
        });
        await announceStaffChange(services, handle.tenant.id);
        return (await findTeam(handle.db, id))!;
      },
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/teams',
      tag,
      summary: 'List teams by name, with their members',
      query: teamListQuerySchema,
      response: pageSchema(teamSchema),
      handler: ({ req, query }) => listTeams(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'users.manage',
      path: '/teams/:id',
      tag,
      summary: 'Show a team with its members',
      params: teamIdParams,
      response: teamSchema,
      errors: { 404: 'No such team' },
      handler: async ({ req, params }) =>
        orNotFound(await findTeam(callerOf(req).handle.db, params.id), 'Team', { id: params.id }),
    })
    .route({
      method: 'patch',
      permission: 'users.manage',
      path: '/teams/:id',
      tag,
      summary: 'Rename a team or change its description',
      params: teamIdParams,
      body: updateTeamSchema,
      response: teamSchema,
      errors: { 404: 'No such team', 409: 'A team with this name exists' },
      handler: ({ req, params, body }) =>
        changeTeam(req, params.id, (trx) => updateTeamRow(trx, params.id, body)),
    })
    .route({
      method: 'delete',
      permission: 'users.manage',
      path: '/teams/:id',
      tag,
      summary: 'Delete a team (its members stay users; managers lose sight of its leads)',
      params: teamIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such team' },
      handler: async ({ req, params }) => {
        const { handle } = callerOf(req);
        orNotFound(await deleteTeam(handle.db, params.id), 'Team', { id: params.id });
        await announceStaffChange(services, handle.tenant.id);
        return { id: params.id, deleted: true as const };
      },
    })
    .route({
      method: 'put',
      permission: 'users.manage',
      path: '/teams/:id/members',
      tag,
      summary: "Replace a team's members (and who manages it)",
      params: teamIdParams,
      body: membersSchema,
      response: teamSchema,
      errors: { 404: 'No such team' },
      handler: ({ req, params, body }) =>
        changeTeam(req, params.id, (trx) => replaceMembers(trx, params.id, body.members)),
    })
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/teams/:id/members',
      tag,
      summary: 'Add a member, or change whether they manage the team',
      params: teamIdParams,
      body: addMemberSchema,
      status: 200,
      response: teamSchema,
      errors: { 404: 'No such team' },
      handler: ({ req, params, body }) =>
        changeTeam(req, params.id, (trx) => upsertMembers(trx, params.id, [body], 'body.userId')),
    })
    .route({
      method: 'delete',
      permission: 'users.manage',
      path: '/teams/:id/members/:userId',
      tag,
      summary: 'Remove a member from a team',
      params: teamMemberParams,
      response: teamSchema,
      errors: { 404: 'No such team, or the user is not a member' },
      handler: ({ req, params }) =>
        changeTeam(req, params.id, async (trx) => {
          if (!(await removeMember(trx, params.id, params.userId))) {
            throw new AppError('not_found', 'The user is not a member of this team', {
              details: { userId: params.userId },
            });
          }
        }),
    });
}
