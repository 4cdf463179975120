import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { z } from 'zod';
import { announcePresence } from './presence-events.js';
import { setPresenceSetting } from './presence-writes.js';
import { agentPresence, listPresence } from './presence.js';
import { agentPresenceSchema, presenceParams, presenceSettingInput } from './presence.schemas.js';

const tag = 'Presence';

/**
 * Agents' presence. Visibility as for leads: a caller sees the presence of the agents its
 * `leads.read` reaches (all; its team's; its own) and changes the setting of those its
 * `leads.write` reaches (an agent its own; a manager its team's; an admin or key any).
 */
export function registerPresenceRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/presence',
      tag,
      summary: "Every visible agent's presence (online, available, on_call, wrap_up, offline), by name",
      query: z.object(pageQuery),
      response: pageSchema(agentPresenceSchema),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listPresence(handle.db, access.visibility('leads.read'), new Date(), query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/presence/:agentId',
      tag,
      summary: "An agent's presence",
      params: presenceParams,
      response: agentPresenceSchema,
      errors: { 404: 'No such agent, or one the caller does not see' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const found = access.reaches('leads.read', params.agentId)
          ? await agentPresence(handle.db, params.agentId, new Date())
          : undefined;
        return orNotFound(found, 'Agent', { id: params.agentId });
      },
    })
    .route({
      method: 'put',
      permission: 'leads.write',
      path: '/presence/:agentId',
      tag,
      summary: "Set an agent's own presence setting (`away` takes no dialer calls); emits `agent.presence`",
      params: presenceParams,
      body: presenceSettingInput,
      response: agentPresenceSchema,
      errors: {
        403: "Visible, but the caller's leads.write does not reach the agent",
        404: 'No such agent, or one the caller does not see',
      },
      handler: async ({ req, params, body }) => {
        const { handle, access } = callerOf(req);
        const { agentId } = params;
        const visible = access.reaches('leads.read', agentId);
        if (visible && !access.reaches('leads.write', agentId)) {
          throw new AppError('forbidden', "Your role's leads.write does not reach this agent", {
            details: { permission: 'leads.write' },
          });
        }
        const presence = visible
          ? await inTenantTransaction(services, handle, async (unit) => {
              const agent = await unit.trx
                .selectFrom('agents')
                .select('id')
                .where('id', '=', agentId)
                .forUpdate()
                .executeTakeFirst();
              if (!agent) return undefined;
              await setPresenceSetting(unit.trx, agentId, body.setting);
              return announcePresence(unit, services, handle.tenant.id, agentId, new Date());
            })
          : undefined;
        return orNotFound(presence, 'Agent', { id: agentId });
      },
    });
}
