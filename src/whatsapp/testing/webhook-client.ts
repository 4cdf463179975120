import type { TestApp } from '../../testing/test-app.js';
import { testAdminToken } from '../../testing/test-app.js';
import { signedRequest, testAppSecret } from './meta-payloads.js';

/**
 * Test-only: sets a tenant's `whatsapp` secret and posts signed deliveries, as Meta would, to the
 * app `app()` answers (tests start it in `beforeAll`).
 */
export function webhookClient(app: () => TestApp) {
  return {
    setWhatsApp: (code: string, value: Record<string, unknown>) =>
      app().request(`/api/platform/tenants/${code}/secrets/whatsapp`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${testAdminToken}` },
        body: value,
      }),
    post: (payload: unknown, path = '/api/whatsapp/webhook', secret = testAppSecret) => {
      const { body, headers } = signedRequest(payload, secret);
      return app().request(path, { method: 'POST', headers, body });
    },
  };
}
