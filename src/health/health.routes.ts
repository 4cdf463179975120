import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import type { AppServices } from '../app/services.js';
import { queueDepth } from '../queue/jobs.repository.js';
import { pingDatabase } from './health.repository.js';

const readyTimeoutMs = 2000;

export function registerHealthRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      path: '/',
      summary: 'Service health',
      response: z.object({ status: z.literal('ok') }),
      handler: async () => ({ status: 'ok' }),
    })
    .route({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness: the process is up',
      response: z.object({ status: z.literal('ok') }),
      handler: async () => ({ status: 'ok' }),
    })
    .route({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness: the services database answers; queue depth and age per job kind',
      response: z.object({ status: z.literal('ok'), checks: z.record(z.string(), z.unknown()) }),
      errors: { 503: 'A dependency is down' },
      handler: async () => {
        const started = Date.now();
        try {
          await withTimeout(pingDatabase(services.platform), readyTimeoutMs);
        } catch (error) {
          throw new AppError('service_unavailable', 'The services database is not reachable', {
            details: { database: { status: 'down', error: (error as Error).message } },
          });
        }
        const database = { status: 'up', latencyMs: Date.now() - started };
        const queue = await withTimeout(queueDepth(services.platform), readyTimeoutMs).then(
          (kinds) => ({ status: 'up', kinds }),
          (error: unknown) => ({ status: 'unknown', error: (error as Error).message }),
        );
        return { status: 'ok', checks: { database, queue } };
      },
    });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
