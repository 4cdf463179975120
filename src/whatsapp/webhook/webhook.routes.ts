import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { singleHeader } from '../../http/single-header.js';
import { WebhookReceiver, verifySubscription } from './webhook-receiver.js';

export const webhookPath = '/api/whatsapp/webhook';

const verifyQuery = z.object({
  'hub.mode': z.string().optional(),
  'hub.verify_token': z.string().optional(),
  'hub.challenge': z.string().optional(),
});
const clientCodeParams = z.object({ clientCode: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{1,39}$/) });

export function registerWebhookRoutes(router: ApiRouter, services: AppServices): void {
  const receiver = new WebhookReceiver(services);
  for (const path of [webhookPath, `${webhookPath}/:clientCode`]) {
    const params = path.endsWith(':clientCode') ? clientCodeParams : z.object({});
    router
      .route({
        method: 'get',
        path,
        summary: "Meta's webhook verification: echoes hub.challenge when hub.verify_token matches",
        tag: 'WhatsApp',
        params,
        query: verifyQuery,
        errors: { 403: 'Verify token mismatch' },
        handler: async ({ params: { clientCode }, query, res }) => {
          const challenge = await verifySubscription(
            services,
            { mode: query['hub.mode'], token: query['hub.verify_token'], challenge: query['hub.challenge'] },
            clientCode as string | undefined,
          );
          res.status(200).type('text/plain').send(challenge);
        },
      })
      .route({
        method: 'post',
        path,
        summary: 'WhatsApp Cloud API webhook delivery (signed with X-Hub-Signature-256)',
        tag: 'WhatsApp',
        params,
        status: 200,
        response: z.object({
          events: z.number(),
          unknownPhoneNumberIds: z.array(z.string()),
          unknownWabaIds: z.array(z.string()),
        }),
        errors: { 401: 'Missing or invalid signature', 413: 'Payload over 3 MB' },
        // Meta sends up to 3 MB; the signature is over the exact bytes.
        rawBody: '3mb',
        hot: true,
        handler: async ({ params: { clientCode }, req }) => {
          if (!Buffer.isBuffer(req.body)) throw new AppError('invalid_data', 'Expected a request body');
          return receiver.receive(
            req.body,
            singleHeader(req, 'x-hub-signature-256'),
            clientCode as string | undefined,
          );
        },
      });
  }
}
