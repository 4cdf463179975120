import { AppError } from '../../http/app-error.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import type { StaffAuth } from '../staff-auth.js';
import { loadUserPrincipal } from '../users/user-principal.js';
import type { TokenPair } from './auth.schemas.js';
import { issueTenantTokens } from './issue-tokens.js';

/** A new session for an active user whose credentials were checked, and its first token pair. */
export async function startUserSession(
  deps: { auth: StaffAuth },
  handle: TenantHandle,
  userId: string,
  client: { userAgent?: string; ip?: string },
): Promise<TokenPair> {
  const principal = await loadUserPrincipal(handle.db, userId, null);
  if (!principal) throw new AppError('unauthorized', 'Invalid email or password');
  const { session, refreshToken } = await deps.auth.sessions.create({
    tenantId: handle.tenant.id,
    userId,
    ...client,
  });
  return issueTenantTokens(deps.auth, handle.tenant.id, session.id, refreshToken, principal);
}
