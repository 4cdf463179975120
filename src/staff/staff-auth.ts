import { AccessTokens } from '../auth/access-tokens.js';
import type { Config } from '../config/config.js';
import type { PlatformDb } from '../db/platform-database.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import { PlatformStaff } from './platform-staff/platform-staff.js';
import { LoginThrottle } from './sessions/login-throttle.js';
import { SessionStore } from './sessions/session-store.js';
import { TenantUserPrincipals } from './sessions/tenant-user-principals.js';

/** What logging in needs in every process: access tokens, sessions, tenant users as callers. */
export interface StaffAuth {
  tokens: AccessTokens;
  sessions: SessionStore;
  users: TenantUserPrincipals;
  /** Platform staff: their logins, their access tokens on /api/platform, their accounts. */
  platformStaff: PlatformStaff;
  /** Failed logins per account and client address, with exponential lockout. */
  throttle: LoginThrottle;
}

export function createStaffAuth(deps: {
  config: Config;
  platform: PlatformDb;
  connections: TenantConnectionManager;
  changes: TenantChanges;
}): StaffAuth {
  const { config } = deps;
  const tokens = new AccessTokens(
    config.secrets.currentKey,
    config.secrets.previousKeys,
    config.auth.accessTokenTtlSeconds,
  );
  const sessions = new SessionStore(deps.platform, deps.changes, config.secrets.currentKey, config.auth);
  return {
    tokens,
    sessions,
    platformStaff: new PlatformStaff({ platform: deps.platform, tokens, sessions }),
    users: new TenantUserPrincipals({
      platform: deps.platform,
      connections: deps.connections,
      tokens,
      changes: deps.changes,
      cacheTtlMs: config.tenancy.authCacheTtlMs,
    }),
    throttle: new LoginThrottle(deps.platform, config.auth.login),
  };
}
