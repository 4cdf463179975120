import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import { bearerToken } from '../../auth/tenant-auth.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { singleHeader } from '../../http/single-header.js';
import { clientOf, locked } from '../sessions/auth.routes.js';
import { platformAccountKey } from '../sessions/login-throttle.js';
import { platformLoginBody, platformTokenPairSchema, staffUserSchema } from './platform-staff.schemas.js';

const tag = 'Authentication';

/**
 * `/api/auth/platform`: platform staff log in (refresh and logout are `/api/auth/refresh` and
 * `/api/auth/logout`, shared with tenant users).
 */
export function registerPlatformAuthRoutes(router: ApiRouter, services: AppServices): void {
  const staff = services.staffAuth.platformStaff;
  router
    .route({
      method: 'post',
      path: '/platform/login',
      tag,
      summary: 'Platform staff log in: an access token for /api/platform and a refresh token',
      description:
        'An unknown email, a wrong password and a disabled account are the same 401. Refresh with POST /api/auth/refresh, end with POST /api/auth/logout.',
      body: platformLoginBody,
      status: 200,
      response: platformTokenPairSchema,
      errors: { 401: 'Invalid email or password', 429: 'Locked after repeated failures' },
      handler: ({ req, res, body }) => {
        const client = clientOf(req, services.config.http.trustProxy);
        const keys = { account: platformAccountKey(body.email), address: client.ip };
        return locked(res, () => services.staffAuth.throttle.guard(keys, () => staff.logIn(body, client)));
      },
    })
    .route({
      method: 'get',
      path: '/platform/me',
      tag,
      summary: 'The staff member of the access token',
      response: z.object({ user: staffUserSchema }),
      errors: { 401: 'Missing, invalid or expired staff access token, or the session ended' },
      handler: async ({ req }) => {
        const token = bearerToken(singleHeader(req, 'authorization'));
        if (!token) throw new AppError('unauthorized', 'A staff access token is required');
        return { user: await staff.me(await staff.authenticate(token)) };
      },
    });
}
