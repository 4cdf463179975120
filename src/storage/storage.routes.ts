import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { LocalObjectStore, localMediaRoute } from './local-object-store.js';

const querySchema = z.object({
  expires: z.coerce.number().int(),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Serves local objects behind their presigned URLs (only when storage is the local disk). */
export function registerLocalMediaRoute(router: ApiRouter, { storage }: AppServices): void {
  if (!(storage instanceof LocalObjectStore)) return;
  router.route({
    method: 'get',
    path: `${localMediaRoute}/*key`,
    summary: 'Download a stored object through a presigned URL',
    tag: 'Storage',
    params: z.object({ key: z.array(z.string()).min(1) }),
    query: querySchema,
    errors: { 403: 'Missing, wrong or expired signature', 404: 'No such object' },
    handler: async ({ params, query, res }) => {
      const key = params.key.join('/');
      if (!storage.verify(key, query.expires, query.signature)) {
        throw new AppError('forbidden', 'The link is invalid or has expired');
      }
      const body = await storage.get(key);
      if (!body) throw AppError.notFound('Object');
      res.status(200).type('application/octet-stream').setHeader('cache-control', 'private, max-age=60');
      res.send(body);
    },
  });
}
