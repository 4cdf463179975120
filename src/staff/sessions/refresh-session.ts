import { AppError } from '../../http/app-error.js';
import { findTenantById } from '../../tenancy/tenant-registry.js';
import { loadUserPrincipal } from '../users/user-principal.js';
import type { PlatformTokenPair } from '../platform-staff/platform-staff.schemas.js';
import type { TokenPair } from './auth.schemas.js';
import { issueTenantTokens } from './issue-tokens.js';
import type { LoginDeps } from './log-in.js';

const refused = (reason: string) =>
  new AppError('unauthorized', 'Invalid or expired refresh token: log in again', { details: { reason } });

/**
 * Trades a refresh token for a new pair (rotation, reuse detection: SessionStore.refresh). A
 * session without a tenant is a platform staff member's: it gets a `platform` access token.
 */
export async function refreshSession(
  deps: LoginDeps,
  refreshToken: string,
): Promise<TokenPair | PlatformTokenPair> {
  const outcome = await deps.auth.sessions.refresh(refreshToken);
  if (!outcome.ok) throw refused(outcome.reason === 'reused' ? 'refresh_token_reused' : 'session_ended');
  const { session } = outcome;
  if (!session.tenantId) return deps.auth.platformStaff.refreshed(session, outcome.refreshToken);
  const tenant = await findTenantById(deps.platform, session.tenantId);
  if (!tenant) throw refused('session_ended');
  if (tenant.status !== 'active') {
    throw new AppError('forbidden', 'This tenant is suspended', { details: { status: tenant.status } });
  }
  const handle = await deps.connections.resolve(tenant);
  const principal = await loadUserPrincipal(handle.db, session.userId, session.id);
  if (!principal) {
    await deps.auth.sessions.revoke(session.id, 'user_not_active');
    throw refused('session_ended');
  }
  return issueTenantTokens(deps.auth, tenant.id, session.id, outcome.refreshToken, principal);
}
