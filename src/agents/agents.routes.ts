import { z } from 'zod';
import { pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import { assignPendingLeads } from '../leads/index.js';
import { leadContextOf } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { AppError } from '../http/app-error.js';
import { createAgentWithUser, invitationSchema } from '../staff/index.js';
import { becameMoreEligible, findAgent, insertAgent, listAgents, updateAgent } from './agent.repository.js';
import {
  createAgentSchema,
  agentListQuerySchema,
  agentPatchSchema,
  agentSchema,
  type AgentPatch,
} from './agent.schemas.js';

const tag = 'Agents';
const idParams = z.object({ id: z.uuid() });

/** The field name the callers API of the seed system uses for territories (README "Input rules"). */
const agentAliases = { assignedStates: 'territories' };
export function registerAgentRoutes(router: ApiRouter, services: AppServices): void {
  const existing = async (handle: TenantHandle, id: string) => {
    const agent = orNotFound(await findAgent(handle, id), 'Agent', { id });
    return agent;
  };

  /** Updates an agent; when it can now take more leads, waiting leads are offered at once. */
  const update = async (req: Parameters<typeof callerOf>[0], id: string, patch: AgentPatch) => {
    const { handle } = callerOf(req);
    const change = orNotFound(await updateAgent(handle, id, patch), 'Agent', { id });
    if (becameMoreEligible(change.before, change.after)) {
      await assignPendingLeads(leadContextOf(req, services));
    }
    return existing(handle, id);
  };

  router
    .route({
      method: 'post',
      permission: 'users.manage',
      path: '/agents',
      tag,
      summary: 'Create an agent (with `inviteUser`, also its user, invited)',
      description:
        '`inviteUser: true` (needs `email`) creates, in the same transaction, a user with the role `agent` linked to this agent, and invites them: `user` and `invitation` are answered beside the agent. A user with that email already existing is a 409 and creates nothing.',
      body: createAgentSchema,
      aliases: { body: agentAliases },
      response: agentSchema.extend({
        user: z.object({ id: z.uuid(), ref: z.string(), status: z.literal('invited') }).optional(),
        invitation: invitationSchema.optional(),
      }),
      errors: { 409: 'inviteUser: a user with this email exists' },
      handler: async ({ req, body }) => {
        const caller = callerOf(req);
        const { inviteUser, ...input } = body;
        if (!inviteUser) return insertAgent(caller.handle, input);
        if (!input.email) {
          throw AppError.invalidFields([
            { path: 'body.email', message: 'Inviting the agent as a user needs an email' },
          ]);
        }
        const { agent, user, invitation } = await createAgentWithUser(services, caller, (trx) =>
          insertAgent(caller.handle, input, trx),
        );
        return { ...agent, user, invitation };
      },
    })
    .route({
      method: 'get',
      permission: null,
      path: '/agents',
      tag,
      summary: "List agents with today's assignment count (tenant-local day)",
      query: agentListQuerySchema,
      response: pageSchema(agentSchema),
      handler: ({ req, query }) =>
        listAgents(callerOf(req).handle, {
          ...query,
          active: query.active === undefined ? undefined : query.active === 'true',
          available: query.available === undefined ? undefined : query.available === 'true',
        }),
    })
    .route({
      method: 'get',
      permission: null,
      path: '/agents/:id',
      tag,
      summary: 'Show an agent',
      params: idParams,
      response: agentSchema,
      errors: { 404: 'No such agent' },
      handler: ({ req, params }) => existing(callerOf(req).handle, params.id),
    })
    .route({
      method: 'patch',
      permission: 'users.manage',
      path: '/agents/:id',
      tag,
      summary: 'Update an agent',
      params: idParams,
      body: agentPatchSchema,
      aliases: { body: agentAliases },
      response: agentSchema,
      errors: { 404: 'No such agent' },
      handler: ({ req, params, body }) => update(req, params.id, body),
    })
    .route({
      method: 'put',
      permission: 'users.manage',
      path: '/agents/:id/availability',
      tag,
      summary: 'Toggle availability; becoming available picks up waiting leads',
      params: idParams,
      body: z.object({ available: z.boolean() }),
      response: agentSchema,
      errors: { 404: 'No such agent' },
      handler: ({ req, params, body }) => update(req, params.id, { available: body.available }),
    })
    .route({
      method: 'delete',
      permission: 'users.manage',
      path: '/agents/:id',
      tag,
      summary: 'Deactivate an agent (its history and leads are kept)',
      params: idParams,
      response: agentSchema,
      errors: { 404: 'No such agent' },
      handler: ({ req, params }) => update(req, params.id, { active: false }),
    });
}
