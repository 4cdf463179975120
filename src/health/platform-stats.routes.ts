import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';

/** Process-level numbers for operators: memory, cached tenant handles, open pools. */
export function registerPlatformStatsRoutes(router: ApiRouter, services: AppServices): void {
  router.route({
    method: 'get',
    path: '/stats',
    platformRole: 'platform_support',
    summary: 'Process statistics: memory, cached tenants, database pools',
    response: z.object({
      process: z.object({
        pid: z.number(),
        rssBytes: z.number(),
        heapUsedBytes: z.number(),
        uptimeSeconds: z.number(),
      }),
      tenancy: z.object({ cachedTenants: z.number(), maxCachedTenants: z.number(), pools: z.number() }),
    }),
    handler: async () => {
      const memory = process.memoryUsage();
      return {
        process: {
          pid: process.pid,
          rssBytes: memory.rss,
          heapUsedBytes: memory.heapUsed,
          uptimeSeconds: Math.round(process.uptime()),
        },
        tenancy: {
          cachedTenants: services.connections.cachedCount,
          maxCachedTenants: services.config.tenancy.maxCachedTenants,
          pools: services.servers.poolCount,
        },
      };
    },
  });
}
