import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';
import { insertSuppression } from './email.repository.js';
import { UnsubscribeTokens } from './unsubscribe-token.js';

const page = (message: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribed</title></head><body><p>${message}</p></body></html>`;

/** `/u/:token`: the link in every email (GET for people, POST for one-click List-Unsubscribe). */
export function registerUnsubscribeRoutes(router: ApiRouter, services: AppServices): void {
  const tokens = new UnsubscribeTokens(services.config.secrets.currentKey);
  for (const method of ['get', 'post'] as const) {
    router.route({
      method,
      path: '/u/:token',
      summary: 'Unsubscribe the address in a signed link from the tenant’s emails',
      tag: 'Email',
      params: z.object({ token: z.string().min(10).max(1000) }),
      status: 200,
      errors: { 404: 'Invalid link' },
      handler: async ({ params, res }) => {
        const target = tokens.read(params.token);
        const tenant = target && (await findTenantByCode(services.platform, target.clientCode));
        if (!target || !tenant) throw new AppError('not_found', 'This unsubscribe link is not valid');
        const handle = await services.connections.resolve(tenant);
        await insertSuppression(handle.db, { address: target.address, reason: 'unsubscribed' });
        res
          .status(200)
          .type('html')
          .send(
            page(
              `${target.address.replace(/[<>&"]/g, '')} will no longer receive emails from ${tenant.name.replace(/[<>&"]/g, '')}.`,
            ),
          );
      },
    });
  }
}
