import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import { clientAddress } from '../../auth/rate-limit.js';
import { bearerToken } from '../../auth/tenant-auth.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { singleHeader } from '../../http/single-header.js';
import { platformTokenPairSchema } from '../platform-staff/platform-staff.schemas.js';
import { loginBody, logoutBody, refreshBody, sessionUserSchema, tokenPairSchema } from './auth.schemas.js';
import { toSessionUser } from './issue-tokens.js';
import { logIn } from './log-in.js';
import { clearRefreshCookie, refreshCookieOf, setRefreshCookie } from './refresh-cookie.js';
import { refreshSession } from './refresh-session.js';

const tag = 'Authentication';

/** `/api/auth`: people log in, refresh, log out and read who they are. */
export function registerAuthRoutes(router: ApiRouter, services: AppServices): void {
  const deps = { platform: services.platform, connections: services.connections, auth: services.staffAuth };
  const { config } = services;
  /** With AUTH_COOKIES, the pair's refresh token also goes out as an HttpOnly cookie. */
  const withCookie = <Pair extends { refreshToken: string }>(res: Response, pair: Pair): Pair => {
    if (config.auth.cookies) setRefreshCookie(res, pair.refreshToken, config.auth.sessionTtlMs);
    return pair;
  };
  /** The body's refresh token, else (AUTH_COOKIES) the cookie's. */
  const refreshTokenOf = (req: Request, body: { refreshToken?: string }) =>
    body.refreshToken ?? (config.auth.cookies ? refreshCookieOf(req) : undefined);
  router
    .route({
      method: 'post',
      path: '/login',
      tag,
      summary: 'Log in with email and password: an access token (JWT) and a refresh token',
      description:
        'Every failure (unknown tenant or email, wrong password, user not active) is the same 401. After repeated failures the account (as typed, whether it exists or not) or the client address is locked for a while, doubling with each further failure: 429 `rate_limited` with `Retry-After`. The refresh token is single-use: each refresh answers a new one (with AUTH_COOKIES also set as an HttpOnly cookie).',
      body: loginBody,
      status: 200,
      response: tokenPairSchema,
      errors: { 401: 'Invalid email or password', 403: 'Tenant suspended', 429: 'Too many failed logins' },
      handler: async ({ req, res, body }) =>
        withCookie(res, await locked(res, () => logIn(deps, body, clientOf(req, config.http.trustProxy)))),
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
      handler: async ({ req, res, body }) => {
        const refreshToken = refreshTokenOf(req, body);
        if (!refreshToken) throw new AppError('unauthorized', 'A refresh token is required');
        return withCookie(res, await refreshSession(deps, refreshToken));
      },
    })
    .route({
      method: 'post',
      path: '/logout',
      tag,
      summary: 'End the session: its refresh tokens and access tokens stop working at once',
      description:
        'Takes the refresh token (body, or with AUTH_COOKIES the cookie), or the access token as `Authorization: Bearer`.',
      body: logoutBody,
      status: 200,
      response: z.object({ loggedOut: z.boolean() }),
      handler: async ({ req, res, body }) => {
        const refreshToken = refreshTokenOf(req, body);
        const sessionId = refreshToken
          ? (await services.staffAuth.sessions.sessionOf(refreshToken))?.id
          : await sessionOfBearer(services, singleHeader(req, 'authorization'));
        if (config.auth.cookies) clearRefreshCookie(res);
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

/** Who is logging in, for the session record and the per-address failure count. */
export function clientOf(req: Request, trustProxy: boolean): { userAgent?: string; ip: string } {
  return { userAgent: singleHeader(req, 'user-agent'), ip: clientAddress(req, trustProxy) };
}

/** Runs `work`; a lockout's 429 also carries `Retry-After`. */
export async function locked<T>(res: Response, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.code === 'rate_limited') {
      const seconds = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (seconds) res.setHeader('Retry-After', String(seconds));
    }
    throw error;
  }
}
