import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { bearerToken } from '../auth/tenant-auth.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';
import { acceptInvitation } from './invitations/accept-invitation.js';
import { newPasswordSchema } from './passwords.js';
import { confirmPasswordReset, requestPasswordReset } from './password-reset/password-reset.js';
import { clientOf, locked } from './sessions/auth.routes.js';
import { tokenPairSchema } from './sessions/auth.schemas.js';
import { changePassword } from './sessions/change-password.js';
import { setRefreshCookie } from './sessions/refresh-cookie.js';

const tag = 'Authentication';
const accountToken = z.string().min(1).max(200);

/** `/api/auth`: accepting an invitation, resetting a forgotten password, changing one's password. */
export function registerAccountRoutes(router: ApiRouter, services: AppServices): void {
  const deps = {
    platform: services.platform,
    connections: services.connections,
    auth: services.staffAuth,
    tenantChanges: services.tenantChanges,
  };
  const { config } = services;
  router
    .route({
      method: 'post',
      path: '/invitations/accept',
      tag,
      summary: 'Accept an invitation: choose a password, become active, and be logged in',
      description:
        'Takes the token of the invitation email (or the one an admin handed over). The token works once, for 7 days. Answers a token pair as login does.',
      body: z.object({
        token: accountToken,
        password: newPasswordSchema,
        name: z.string().trim().min(1).max(200).optional(),
      }),
      status: 200,
      response: tokenPairSchema,
      errors: {
        401: 'Invalid, expired or used invitation',
        403: 'Tenant suspended',
        409: 'The user is no longer invited',
      },
      handler: async ({ req, res, body }) => {
        const pair = await acceptInvitation(deps, body, clientOf(req, config.http.trustProxy));
        if (config.auth.cookies) setRefreshCookie(res, pair.refreshToken, config.auth.sessionTtlMs);
        return pair;
      },
    })
    .route({
      method: 'post',
      path: '/password-reset',
      tag,
      summary: 'Ask for a password reset email',
      description:
        "Always 202, whether the account exists or not. An active user is emailed a single-use reset token (valid 1 hour; at most one email a minute) through the tenant's SMTP channel, else the platform's. The token is never answered here.",
      body: z.object({
        clientCode: z.string().trim().min(1).max(64).describe("The tenant's client code"),
        email: z.string().trim().min(3).max(254),
      }),
      status: 202,
      response: z.object({ accepted: z.literal(true) }),
      handler: async ({ body }) => {
        // After the answer: its time must not tell whether an email went out.
        setImmediate(() => {
          requestPasswordReset(services, body).catch((error: unknown) =>
            services.logger.error({ err: error }, 'password reset request failed'),
          );
        });
        return { accepted: true as const };
      },
    })
    .route({
      method: 'post',
      path: '/password-reset/confirm',
      tag,
      summary: 'Set a new password with a reset token; every session of the user ends',
      body: z.object({ token: accountToken, password: newPasswordSchema }),
      status: 200,
      response: z.object({ passwordChanged: z.literal(true) }),
      errors: { 401: 'Invalid, expired or used reset token', 403: 'Tenant suspended' },
      handler: async ({ body }) => {
        await confirmPasswordReset(services, body);
        return { passwordChanged: true as const };
      },
    })
    .route({
      method: 'post',
      path: '/password',
      tag,
      summary: "Change one's password (access token required); the user's other sessions end",
      description:
        'A wrong `currentPassword` is a 400 on that field and counts as a failed login of the account (lockout: 429).',
      body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: newPasswordSchema }),
      status: 200,
      response: z.object({ passwordChanged: z.literal(true) }),
      errors: { 401: 'Missing or invalid access token', 429: 'Too many failed logins' },
      handler: async ({ req, res, body }) => {
        const token = bearerToken(singleHeader(req, 'authorization'));
        if (!token) throw new AppError('unauthorized', 'An access token is required');
        const caller = await services.staffAuth.users.authenticateBearer(token);
        const { ip } = clientOf(req, config.http.trustProxy);
        await locked(res, () => changePassword(services.staffAuth, caller, body, ip));
        return { passwordChanged: true as const };
      },
    });
}
