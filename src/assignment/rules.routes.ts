import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { RuleRepository } from './rule.repository.js';
import { ruleInputSchema, ruleSchema } from './rule.schemas.js';

const tag = 'Assignment rules';
const idParams = z.object({ id: z.uuid() });

export function registerRuleRoutes(router: ApiRouter): void {
  const rules = (req: Parameters<typeof callerOf>[0]) => new RuleRepository(callerOf(req).handle);
  router
    .route({
      method: 'post',
      path: '/assignment-rules',
      tag,
      summary: 'Create an assignment rule (conditions → agent pool + strategy)',
      body: ruleInputSchema,
      response: ruleSchema,
      handler: ({ req, body }) => rules(req).create(body),
    })
    .route({
      method: 'get',
      path: '/assignment-rules',
      tag,
      summary: 'List assignment rules in evaluation order (first match wins)',
      response: z.array(ruleSchema),
      handler: ({ req }) => rules(req).list(),
    })
    .route({
      method: 'get',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Show an assignment rule',
      params: idParams,
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: ({ req, params }) => rules(req).get(params.id),
    })
    .route({
      method: 'patch',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Update an assignment rule',
      params: idParams,
      body: ruleInputSchema.partial(),
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: ({ req, params, body }) => rules(req).update(params.id, body),
    })
    .route({
      method: 'delete',
      path: '/assignment-rules/:id',
      tag,
      summary: 'Delete an assignment rule',
      params: idParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such rule' },
      handler: async ({ req, params }) => {
        await rules(req).delete(params.id);
        return { id: params.id, deleted: true as const };
      },
    });
}
