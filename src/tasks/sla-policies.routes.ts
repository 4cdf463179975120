import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import {
  createPolicy,
  deletePolicy,
  listPolicies,
  replacePolicy,
  toSlaPolicy,
} from './sla-policy.repository.js';
import { slaPolicyIdParams, slaPolicyInputSchema, slaPolicySchema } from './sla-policy.schemas.js';

const tag = 'Tasks';

export function registerSlaPolicyRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/sla-policies',
      tag,
      summary: 'SLA policies (by task type and priority), oldest first',
      query: z.object(pageQuery),
      response: pageSchema(slaPolicySchema),
      handler: ({ req, query }) => listPolicies(callerOf(req).handle.db, query),
    })
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/sla-policies',
      tag,
      summary: 'Add an SLA policy: new tasks of its type and priority get it (the most specific one applies)',
      body: slaPolicyInputSchema,
      response: slaPolicySchema,
      errors: { 409: 'A policy for this type and priority exists' },
      handler: ({ req, body }) => createPolicy(callerOf(req).handle.db, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/sla-policies/:id',
      tag,
      summary: 'Show an SLA policy',
      params: slaPolicyIdParams,
      response: slaPolicySchema,
      errors: { 404: 'No such policy' },
      handler: async ({ req, params }) =>
        toSlaPolicy(
          orNotFound(
            await callerOf(req)
              .handle.db.selectFrom('sla_policies')
              .selectAll()
              .where('id', '=', params.id)
              .executeTakeFirst(),
            'SLA policy',
            { id: params.id },
          ),
        ),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/sla-policies/:id',
      tag,
      summary: 'Replace an SLA policy (tasks that already have it keep the terms they got)',
      params: slaPolicyIdParams,
      body: slaPolicyInputSchema,
      response: slaPolicySchema,
      errors: { 404: 'No such policy', 409: 'A policy for this type and priority exists' },
      handler: ({ req, params, body }) => replacePolicy(callerOf(req).handle.db, params.id, body),
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/sla-policies/:id',
      tag,
      summary: 'Delete an SLA policy (tasks that had it keep their terms)',
      params: slaPolicyIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such policy' },
      handler: async ({ req, params }) => {
        await deletePolicy(callerOf(req).handle.db, params.id);
        return { id: params.id, deleted: true as const };
      },
    });
}
