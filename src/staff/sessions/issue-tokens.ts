import type { Access } from '../../auth/access.js';
import type { CallerUser } from '../../http/request-context.js';
import type { StaffAuth } from '../staff-auth.js';
import type { SessionUser, TokenPair } from './auth.schemas.js';

export function toSessionUser(user: CallerUser, access: Access): SessionUser {
  return {
    id: user.id,
    ref: user.ref,
    email: user.email,
    name: user.name,
    role: user.role,
    agentId: user.agentId,
    permissions: access.grants(),
  };
}

/** An access token for a tenant user's session, with the refresh token that goes with it. */
export async function issueTenantTokens(
  auth: StaffAuth,
  tenantId: string,
  sessionId: string,
  refreshToken: string,
  principal: { user: CallerUser; access: Access },
): Promise<TokenPair> {
  const accessToken = await auth.tokens.sign('tenant', {
    sub: principal.user.id,
    sid: sessionId,
    tid: tenantId,
    role: principal.user.role,
    perms: principal.access.grants(),
  });
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: auth.tokens.ttlSeconds,
    refreshToken,
    user: toSessionUser({ ...principal.user, sessionId }, principal.access),
  };
}
