import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { platformAuth } from '../auth/platform-auth.js';
import { MemoryWindows, RedisWindows, tenantRateLimit } from '../auth/rate-limit.js';
import { requireScope, tenantAuth } from '../auth/tenant-auth.js';
import { ApiRouter } from '../http/api-router.js';
import type { Routers } from './component.js';
import { components } from './components.js';
import type { AppServices } from './services.js';

/** Builds the route families and lets every component register its routes on them. */
export function buildRouters(services: AppServices, registry: OpenAPIRegistry): ApiRouter[] {
  const { config, redis } = services;
  const { windowMs } = config.rateLimit;
  const rateLimiter = tenantRateLimit({
    ...config.rateLimit,
    windows: redis ? new RedisWindows(redis, windowMs) : new MemoryWindows(windowMs),
  });
  const tenantFamily = (base: string, tag: string, scope: 'crm' | 'automations') =>
    new ApiRouter(base, registry, {
      tag,
      security: 'tenant',
      middleware: [tenantAuth(services.authenticator), rateLimiter, requireScope(scope)],
    });

  const routers: Routers = {
    open: new ApiRouter('', registry, { tag: 'Health', security: 'none' }),
    platform: new ApiRouter('/api/platform', registry, {
      tag: 'Platform',
      security: 'platform',
      middleware: [platformAuth(config.platformAdminToken)],
    }),
    crm: tenantFamily('/api/crm', 'CRM', 'crm'),
    automations: tenantFamily('/api/automations', 'Automations', 'automations'),
  };
  for (const component of components) component.routes?.(routers, services);
  return [routers.open, routers.platform, routers.crm, routers.automations];
}
