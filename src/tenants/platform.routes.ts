import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { platformCallerOf } from '../auth/platform-auth.js';
import { auditEntrySchema, auditQuery } from './platform-audit.js';
import { secretKinds, type SecretKind } from './secret-kinds.js';
import {
  apiKeySummarySchema,
  clientCodeSchema,
  createKeySchema,
  createTenantSchema,
  issuedKeySchema,
  secretSummarySchema,
  tenantDetailsSchema,
  tenantSchema,
  updateKeySchema,
  updateTenantSchema,
} from './tenant.schemas.js';

const secretKind = z.enum(secretKinds as [SecretKind, ...SecretKind[]]);
const codeParams = z.object({ code: clientCodeSchema });

const actorOf = (req: Parameters<typeof platformCallerOf>[0]) => platformCallerOf(req).actor;

/**
 * Onboarding over HTTP (`/api/platform`), the same operations as `pnpm tenant`. Each route
 * declares the least staff role that may call it: support reads, suspends and resumes; only
 * admins (and the shared token) create, re-key, change limits or touch secrets.
 */
export function registerPlatformTenantRoutes(router: ApiRouter, { tenantAdmin }: AppServices): void {
  router
    .route({
      method: 'post',
      path: '/tenants',
      platformRole: 'platform_admin',
      summary: 'Create a tenant, provision its schema and issue its first API key',
      body: createTenantSchema,
      response: z.object({ tenant: tenantSchema, apiKey: issuedKeySchema }),
      errors: { 409: 'Client code already taken' },
      handler: ({ req, body }) => tenantAdmin.createTenant(body, actorOf(req)),
    })
    .route({
      method: 'get',
      path: '/tenants',
      platformRole: 'platform_support',
      summary: 'List tenants',
      query: z.object({ ...pageQuery }),
      response: pageSchema(tenantSchema),
      handler: ({ query }) => tenantAdmin.listTenantPage(query),
    })
    .route({
      method: 'get',
      path: '/tenants/:code',
      platformRole: 'platform_support',
      summary: 'Show a tenant with its API keys and masked secrets',
      params: codeParams,
      response: tenantDetailsSchema,
      errors: { 404: 'No such tenant' },
      handler: ({ params }) => tenantAdmin.getTenant(params.code),
    })
    .route({
      method: 'patch',
      path: '/tenants/:code',
      platformRole: 'platform_admin',
      summary: "Change a tenant's limit overrides (operator only; applies without a restart)",
      description:
        '`limits`: a value sets an override, `null` removes it (back to the process-wide value, e.g. IMPORT_MAX_BYTES), an absent key keeps it. Unknown fields and limits are refused.',
      params: codeParams,
      body: updateTenantSchema,
      response: tenantSchema,
      errors: { 404: 'No such tenant' },
      handler: ({ req, params, body }) => tenantAdmin.updateTenant(params.code, body, actorOf(req)),
    })
    .route({
      method: 'post',
      path: '/tenants/:code/suspend',
      platformRole: 'platform_support',
      summary: 'Suspend a tenant: its keys get 403 until resumed',
      params: codeParams,
      status: 200,
      response: tenantSchema,
      errors: { 404: 'No such tenant' },
      handler: ({ req, params }) => tenantAdmin.setStatus(params.code, 'suspended', actorOf(req)),
    })
    .route({
      method: 'post',
      path: '/tenants/:code/resume',
      platformRole: 'platform_support',
      summary: 'Resume a suspended tenant',
      params: codeParams,
      status: 200,
      response: tenantSchema,
      errors: { 404: 'No such tenant' },
      handler: ({ req, params }) => tenantAdmin.setStatus(params.code, 'active', actorOf(req)),
    })
    .route({
      method: 'post',
      path: '/tenants/:code/keys',
      platformRole: 'platform_admin',
      summary: 'Issue another API key (shown once)',
      params: codeParams,
      body: createKeySchema,
      response: issuedKeySchema,
      errors: { 404: 'No such tenant' },
      handler: ({ req, params, body }) => tenantAdmin.createKey(params.code, body, actorOf(req)),
    })
    .route({
      method: 'patch',
      path: '/tenants/:code/keys/:keyId',
      platformRole: 'platform_admin',
      summary: 'Make an API key act as a user of the tenant (or, with null, as the tenant)',
      description:
        'A key acting as a user has their role: their permissions, only the leads they may see, their name in the activity log. Disabling the user makes the key 401.',
      params: codeParams.extend({ keyId: z.uuid() }),
      body: updateKeySchema,
      response: apiKeySummarySchema,
      errors: { 404: 'No such tenant or key' },
      handler: ({ req, params, body }) =>
        tenantAdmin.updateKey(params.code, params.keyId, body, actorOf(req)),
    })
    .route({
      method: 'delete',
      path: '/tenants/:code/keys/:keyId',
      platformRole: 'platform_admin',
      summary: 'Revoke an API key',
      params: codeParams.extend({ keyId: z.uuid() }),
      response: apiKeySummarySchema,
      errors: { 404: 'No such tenant or key' },
      handler: ({ req, params }) => tenantAdmin.revokeKey(params.code, params.keyId, actorOf(req)),
    })
    .route({
      method: 'put',
      path: '/tenants/:code/secrets/:kind',
      platformRole: 'platform_admin',
      summary: 'Set (replace) a tenant secret; the answer is masked',
      description: `Kinds: ${secretKinds.join(', ')}. The body is the secret's JSON, validated per kind.`,
      params: codeParams.extend({ kind: secretKind }),
      body: z.record(z.string(), z.unknown()),
      response: secretSummarySchema,
      errors: { 404: 'No such tenant' },
      handler: ({ req, params, body }) => tenantAdmin.setSecret(params.code, params.kind, body, actorOf(req)),
    })
    .route({
      method: 'delete',
      path: '/tenants/:code/secrets/:kind',
      platformRole: 'platform_admin',
      summary: 'Remove a tenant secret (disconnects the channel; WhatsApp numbers and WABA are freed)',
      params: codeParams.extend({ kind: secretKind }),
      response: z.object({ kind: secretKind, removed: z.literal(true) }),
      errors: {
        404: 'No such tenant, or it has no secret of this kind',
        409: 'The database secret (it names where the tenant data lives)',
      },
      handler: ({ req, params }) => tenantAdmin.removeSecret(params.code, params.kind, actorOf(req)),
    })
    .route({
      method: 'post',
      path: '/secrets/rotate',
      platformRole: 'platform_admin',
      summary: 'Re-seal every tenant secret with the current SECRETS_KEY',
      status: 200,
      response: z.object({ resealed: z.number(), currentKeyId: z.string() }),
      handler: ({ req }) => tenantAdmin.rotateSecretsKey(actorOf(req)),
    })
    .route({
      method: 'get',
      path: '/audit',
      platformRole: 'platform_support',
      summary: 'The audit log of platform changes, newest first: who did what to which tenant',
      description:
        'Every change on the platform routes and the `pnpm tenant` CLI, with its actor: a staff user, the shared admin token or the CLI (with the OS user name).',
      query: auditQuery,
      response: pageSchema(auditEntrySchema),
      errors: { 404: 'No such tenant' },
      handler: ({ query }) => tenantAdmin.listAudit(query),
    });
}
