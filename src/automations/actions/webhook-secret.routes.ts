import { z } from 'zod';
import type { ApiRouter } from '../../http/api-router.js';
import { callerOf } from '../../http/request-context.js';
import { rotateWebhookSigningSecret, signatureHeader, webhookSigningSecret } from './webhook-signing.js';

const secretSchema = z.object({
  secret: z.string(),
  header: z.string(),
  algorithm: z.literal('HMAC-SHA256 over the raw request body, hex, prefixed sha256='),
});
const describe = (secret: string) => ({
  secret,
  header: signatureHeader,
  algorithm: 'HMAC-SHA256 over the raw request body, hex, prefixed sha256=' as const,
});

export function registerWebhookSecretRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      permission: 'automations.manage',
      path: '/webhook-signing-secret',
      tag: 'Automation webhooks',
      summary: 'The secret that signs call_webhook deliveries (to verify them)',
      response: secretSchema,
      handler: async ({ req }) => describe(await webhookSigningSecret(callerOf(req).handle.db)),
    })
    .route({
      method: 'post',
      permission: 'automations.manage',
      path: '/webhook-signing-secret/rotate',
      tag: 'Automation webhooks',
      summary: 'Replace the webhook signing secret (deliveries from now on use the new one)',
      status: 200,
      response: secretSchema,
      handler: async ({ req }) => describe(await rotateWebhookSigningSecret(callerOf(req).handle.db)),
    });
}
