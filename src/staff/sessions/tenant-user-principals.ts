import { sql } from 'kysely';
import type { Access } from '../../auth/access.js';
import type { AccessTokens } from '../../auth/access-tokens.js';
import type { UserPrincipals } from '../../auth/tenant-auth.js';
import type { PlatformDb } from '../../db/platform-database.js';
import { AppError } from '../../http/app-error.js';
import type { CallerUser, TenantCaller } from '../../http/request-context.js';
import type { TenantConnectionManager, TenantHandle } from '../../tenancy/connection-manager.js';
import { toTenant, type Tenant } from '../../tenancy/tenant.js';
import { TenantCache } from '../../tenancy/tenant-cache.js';
import type { TenantChanges } from '../../tenancy/tenant-changes.js';
import { loadUserPrincipal } from '../users/user-principal.js';

interface Principal {
  tenant: Tenant;
  user: CallerUser;
  access: Access;
}

/** Users reach both route families; their role's permissions decide the rest. */
const userScopes = ['crm', 'automations'];

const sessionEnded = () =>
  new AppError('unauthorized', 'This session has ended: log in again', {
    details: { reason: 'session_ended' },
  });

/**
 * Tenant users as callers: verifies access tokens and reads the session, the user and their
 * role live, kept for `AUTH_CACHE_TTL_MS` per session. Every change to a user, role, team or
 * session announces a tenant change (NOTIFY to every process), which drops the tenant's entries
 * at once: a disabled user, a logged-out session or a suspended tenant is refused on the next
 * request, not when the access token expires.
 */
export class TenantUserPrincipals implements UserPrincipals {
  private readonly cache: TenantCache<string, Principal>;

  constructor(
    private readonly deps: {
      platform: PlatformDb;
      connections: TenantConnectionManager;
      tokens: AccessTokens;
      changes: TenantChanges;
      cacheTtlMs: number;
    },
  ) {
    this.cache = new TenantCache(deps.changes, {
      ttlMs: deps.cacheTtlMs,
      max: 20_000,
      tenantOf: (principal) => principal.tenant.id,
    });
  }

  async authenticateBearer(token: string): Promise<TenantCaller> {
    const claims = await this.deps.tokens.verify(token, 'tenant');
    const principal = await this.cache.getOrLoad(`session:${claims.sid}`, () =>
      this.loadSession(claims.sid, claims.sub, claims.tid!),
    );
    if (!principal || principal.user.id !== claims.sub || principal.tenant.id !== claims.tid)
      throw sessionEnded();
    if (principal.tenant.status !== 'active') {
      throw new AppError('forbidden', 'This tenant is suspended', {
        details: { status: principal.tenant.status },
      });
    }
    const handle = await this.deps.connections.resolve(principal.tenant);
    return {
      handle,
      apiKey: null,
      user: principal.user,
      scopes: userScopes,
      access: principal.access,
      actor: { type: 'user', id: principal.user.id, name: principal.user.name },
    };
  }

  async actingAs(handle: TenantHandle, userId: string): Promise<{ user: CallerUser; access: Access } | null> {
    const principal = await this.cache.getOrLoad(`user:${handle.tenant.id}:${userId}`, async () => {
      const loaded = await loadUserPrincipal(handle.db, userId, null);
      return loaded ? { tenant: handle.tenant, ...loaded } : null;
    });
    return principal ? { user: principal.user, access: principal.access } : null;
  }

  private async loadSession(sessionId: string, userId: string, tenantId: string): Promise<Principal | null> {
    const row = await this.deps.platform
      .selectFrom('auth_sessions as s')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .selectAll('t')
      .where('s.id', '=', sessionId)
      .where('s.user_id', '=', userId)
      .where('s.tenant_id', '=', tenantId)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    if (!row) return null;
    const tenant = toTenant(row);
    const handle = await this.deps.connections.resolve(tenant);
    const loaded = await loadUserPrincipal(handle.db, userId, sessionId);
    return loaded ? { tenant, ...loaded } : null;
  }
}
