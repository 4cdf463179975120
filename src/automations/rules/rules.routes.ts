import { z } from 'zod';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError, fieldIssues } from '../../http/app-error.js';
import { orNotFound } from '../../http/or-not-found.js';
import { callerOf } from '../../http/request-context.js';
import { assertRuleReferences } from './rule-references.js';
import {
  deleteAutomationRule,
  findAutomationRule,
  insertAutomationRule,
  listAutomationRulePage,
  updateAutomationRule,
} from './rule.repository.js';
import { rulePatchSchema, ruleInputSchema, ruleSchema, type AutomationRule } from './rule.schemas.js';
import { triggers } from './triggers.js';

const tag = 'Automation rules';
const idParams = z.object({ id: z.uuid() });

/** The stored rule with a patch applied, validated again as a whole rule. */
function mergePatch(rule: AutomationRule, patch: Record<string, unknown>) {
  const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, ...current } = rule;
  const merged = ruleInputSchema.safeParse({ ...current, ...patch });
  if (merged.success) return merged.data;
  throw AppError.invalidFields(fieldIssues('body', merged.error));
}

export function registerAutomationRuleRoutes(router: ApiRouter, services: AppServices): void {
  const references = { allowPrivateWebhooks: services.config.webhooks.allowPrivateNetworks };
  router
    .route({
      method: 'post',
      permission: 'automations.manage',
      path: '/rules',
      tag,
      summary: 'Create an automation rule: trigger + conditions + ordered actions',
      body: ruleInputSchema,
      response: ruleSchema,
      handler: async ({ req, body }) => {
        const { handle } = callerOf(req);
        await assertRuleReferences(handle, body, references);
        return insertAutomationRule(handle, body);
      },
    })
    .route({
      method: 'get',
      permission: 'automations.manage',
      path: '/rules',
      tag,
      summary: 'List automation rules (oldest first, the order they run in)',
      query: z.object({
        trigger: z.enum(triggers).optional(),
        active: z.enum(['true', 'false']).optional(),
        ...pageQuery,
      }),
      response: pageSchema(ruleSchema),
      handler: ({ req, query }) =>
        listAutomationRulePage(callerOf(req).handle.db, {
          ...query,
          active: query.active === undefined ? undefined : query.active === 'true',
        }),
    })
    .route({
      method: 'get',
      permission: 'automations.manage',
      path: '/rules/:id',
      tag,
      summary: 'Show an automation rule',
      params: idParams,
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: async ({ req, params }) =>
        orNotFound(await findAutomationRule(callerOf(req).handle.db, params.id), 'Automation rule', {
          id: params.id,
        }),
    })
    .route({
      method: 'patch',
      permission: 'automations.manage',
      path: '/rules/:id',
      tag,
      summary: 'Update an automation rule (the result is validated as a whole rule)',
      params: idParams,
      body: rulePatchSchema,
      response: ruleSchema,
      errors: { 404: 'No such rule' },
      handler: async ({ req, params, body }) => {
        const { handle } = callerOf(req);
        const stored = orNotFound(await findAutomationRule(handle.db, params.id), 'Automation rule', {
          id: params.id,
        });
        const rule = mergePatch(stored, body);
        await assertRuleReferences(handle, rule, references);
        const replaced = orNotFound(await updateAutomationRule(handle, params.id, rule), 'Automation rule', {
          id: params.id,
        });
        return replaced;
      },
    })
    .route({
      method: 'delete',
      permission: 'automations.manage',
      path: '/rules/:id',
      tag,
      summary: 'Delete an automation rule (its past runs stay)',
      params: idParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such rule' },
      handler: async ({ req, params }) => {
        orNotFound(await deleteAutomationRule(callerOf(req).handle, params.id), 'Automation rule', {
          id: params.id,
        });
        return { id: params.id, deleted: true as const };
      },
    });
}
