import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';
import { insertSuppression } from './email.repository.js';
import { UnsubscribeTokens } from './unsubscribe-token.js';

const plain = (value: string) => value.replace(/[<>&"]/g, '');
const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

/**
 * `/u/:token`, the link in every email, after RFC 8058: only the POST unsubscribes (one-click
 * from the mail client with `List-Unsubscribe=One-Click`, or the confirmation page's button).
 * A GET shows that page and a HEAD changes nothing, so a mail scanner fetching links does not
 * unsubscribe anyone.
 */
export function registerUnsubscribeRoutes(router: ApiRouter, services: AppServices): void {
  const tokens = new UnsubscribeTokens(services.config.secrets);
  const route = {
    path: '/u/:token',
    tag: 'Email',
    params: z.object({ token: z.string().min(10).max(1000) }),
    status: 200,
    errors: { 404: 'Invalid link' },
  };
  const targetOf = async (token: string) => {
    const target = tokens.read(token);
    const tenant = target && (await findTenantByCode(services.platform, target.clientCode));
    if (!target || !tenant) throw new AppError('not_found', 'This unsubscribe link is not valid');
    return { address: target.address, tenant };
  };

  router.route({
    ...route,
    method: 'get',
    summary: 'The confirmation page of a signed unsubscribe link (changes nothing)',
    handler: async ({ params, res }) => {
      const { address, tenant } = await targetOf(params.token);
      res
        .status(200)
        .type('html')
        .send(
          page(
            'Unsubscribe',
            `<form method="post"><p>Stop emails from ${plain(tenant.name)} to ${plain(address)}?</p>` +
              '<input type="hidden" name="List-Unsubscribe" value="One-Click">' +
              '<button type="submit">Unsubscribe</button></form>',
          ),
        );
    },
  });
  router.route({
    ...route,
    method: 'post',
    summary: 'Unsubscribe the address in a signed link from the tenant’s emails (RFC 8058 one-click)',
    handler: async ({ params, res }) => {
      const { address, tenant } = await targetOf(params.token);
      const handle = await services.connections.resolve(tenant);
      await insertSuppression(handle.db, { address, reason: 'unsubscribed' });
      res
        .status(200)
        .type('html')
        .send(
          page(
            'Unsubscribed',
            `<p>${plain(address)} will no longer receive emails from ${plain(tenant.name)}.</p>`,
          ),
        );
    },
  });
}
