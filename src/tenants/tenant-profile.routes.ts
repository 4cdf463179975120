import { z } from 'zod';
import type { Config } from '../config/config.js';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { effectiveLimits, limitNames, type LimitName } from '../tenancy/tenant-limits.js';

const profileSchema = z.object({
  tenantId: z.uuid(),
  clientCode: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  timezone: z.string(),
  defaultCountry: z.string(),
  limits: z
    .object(
      Object.fromEntries(limitNames.map((name) => [name, z.number()])) as Record<LimitName, z.ZodNumber>,
    )
    .describe('The limits that apply to this tenant (read-only: only the platform operator sets them)'),
  apiKey: z.object({ id: z.uuid(), label: z.string(), scopes: z.array(z.string()) }),
});

export function registerTenantProfileRoutes(router: ApiRouter, config: Config): void {
  router.route({
    method: 'get',
    permission: null,
    path: '/whoami',
    summary: "The calling tenant's public profile and the key in use",
    response: profileSchema,
    handler: async ({ req }) => {
      const { handle, apiKey } = callerOf(req);
      const { tenant } = handle;
      return {
        tenantId: tenant.id,
        clientCode: tenant.clientCode,
        name: tenant.name,
        status: tenant.status,
        timezone: tenant.timezone,
        defaultCountry: tenant.defaultCountry,
        limits: effectiveLimits(tenant, config),
        apiKey,
      };
    },
  });
}
