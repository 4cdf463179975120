import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import { bearerToken } from '../../auth/tenant-auth.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { singleHeader } from '../../http/single-header.js';
import { platformTokenPairSchema } from '../platform-staff/platform-staff.schemas.js';
import { loginBody, logoutBody, refreshBody, sessionUserSchema, tokenPairSchema } from './auth.schemas.js';
import { toSessionUser } from './issue-tokens.js';
import { logIn } from './log-in.js';
import { refreshSession } from './refresh-session.js';

const tag = 'Authentication';

/** `/api/auth`: people log in, refresh, log out and read who they are. */
export function registerAuthRoutes(router: ApiRouter, services: AppServices): void {
  const deps = { platform: services.platform, connections: services.connections, auth: services.staffAuth };
  router
    .route({
      method: 'post',
      path: '/login',
      tag,
      summary: 'Log in with email and password: an access token (JWT) and a refresh token',
      description:
        'Every failure (unknown tenant or email, wrong password, user not active) is the same 401. The refresh token is single-use: each refresh answers a new one.',
      body: loginBody,
      status: 200,
      response: tokenPairSchema,
      errors: { 401: 'Invalid email or password', 403: 'Tenant suspended' },
      handler: ({ req, body }) =>
        logIn(deps, body, { userAgent: singleHeader(req, 'user-agent'), ip: req.socket.remoteAddress }),
    })
    .route({
      method: 'post',
      path: '/refresh',
      tag,
      summary: 'Trade a refresh token for a new access token and refresh token',
      description:
        'The refresh token is rotated: the one sent stops working. Sent again within a few seconds (two tabs refreshing at once) it answers the same new token; sent again later it ends the whole session (a stolen token).',
      body: refreshBody,
      status: 200,
      // A platform staff member's session answers a platform pair (POST /api/auth/platform/login).
      response: z.union([tokenPairSchema, platformTokenPairSchema]),
      errors: { 401: 'Unknown, reused or expired refresh token' },
      handler: ({ body }) => {
        if (!body.refreshToken) throw new AppError('unauthorized', 'A refresh token is required');
        return refreshSession(deps, body.refreshToken);
      },
    })
    .route({
      method: 'post',
      path: '/logout',
      tag,
      summary: 'End the session: its refresh tokens and access tokens stop working at once',
      description: 'Takes the refresh token, or the access token as `Authorization: Bearer`.',
      body: logoutBody,
      status: 200,
      response: z.object({ loggedOut: z.boolean() }),
      handler: async ({ req, body }) => {
        const sessionId = body.refreshToken
          ? (await services.staffAuth.sessions.sessionOf(body.refreshToken))?.id
          : await sessionOfBearer(services, singleHeader(req, 'authorization'));
        if (!sessionId) throw new AppError('unauthorized', 'A refresh token or access token is required');
        await services.staffAuth.sessions.revoke(sessionId, 'logout');
        return { loggedOut: true };
      },
    })
    .route({
      method: 'get',
      path: '/me',
      tag,
      summary: 'The user of the access token, with their permissions',
      response: z.object({
        user: sessionUserSchema,
        tenant: z.object({ id: z.uuid(), clientCode: z.string(), name: z.string() }),
      }),
      handler: async ({ req }) => {
        const token = bearerToken(singleHeader(req, 'authorization'));
        if (!token) throw new AppError('unauthorized', 'An access token is required');
        const caller = await services.staffAuth.users.authenticateBearer(token);
        const { tenant } = caller.handle;
        return {
          user: toSessionUser(caller.user!, caller.access),
          tenant: { id: tenant.id, clientCode: tenant.clientCode, name: tenant.name },
        };
      },
    });
}

async function sessionOfBearer(
  services: AppServices,
  header: string | undefined,
): Promise<string | undefined> {
  const token = bearerToken(header);
  if (!token) return undefined;
  // A tenant user's token, else a platform staff member's (the same sessions).
  const claims = await services.staffAuth.tokens
    .verify(token, 'tenant')
    .catch(() => services.staffAuth.tokens.verify(token, 'platform'));
  return claims.sid;
}
