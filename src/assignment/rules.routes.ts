import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import {
  deleteAssignmentRule,
  findAssignmentRule,
  insertAssignmentRule,
  listAssignmentRulePage,
  updateAssignmentRule,
} from './rule.repository.js';
import { ruleInputSchema, ruleSchema } from './rule.schemas.js';

const tag = 'Assignment rules';
const idParams = z.object({ id: z.uuid() });

export function registerRuleRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/assignment-rules',
      tag,
      summary: 'Create an assignment rule (conditions → agent pool + strategy)',
      body: ruleInputSchema,
      response: ruleSchema,
      handler: ({ req, body }) => insertAssignmentRule(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'settings.manage',
      path: '/assignment-rules',
      tag,
      summary: 'List assignment rules in evaluation order (first match wins)',
      query: z.object({ ...pageQuery }),
      response: pageSchema(ruleSchema),
      handler: ({ req, query }) => listAssignmentRulePage(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'settings.manage',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Show an assignment rule',
      params: idParams,
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: async ({ req, params }) =>
        orNotFound(await findAssignmentRule(callerOf(req).handle.db, params.id), 'Assignment rule', {
          id: params.id,
        }),
    })
    .route({
      method: 'patch',
      permission: 'settings.manage',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Update an assignment rule',
      params: idParams,
      body: ruleInputSchema.partial(),
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: async ({ req, params, body }) =>
        orNotFound(await updateAssignmentRule(callerOf(req).handle, params.id, body), 'Assignment rule', {
          id: params.id,
        }),
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Delete an assignment rule',
      params: idParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such rule' },
      handler: async ({ req, params }) => {
        orNotFound(await deleteAssignmentRule(callerOf(req).handle, params.id), 'Assignment rule', {
          id: params.id,
        });
        return { id: params.id, deleted: true as const };
      },
    });
}
