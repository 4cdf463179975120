import { AccessTokens } from '../auth/access-tokens.js';
import type { Config } from '../config/config.js';
import type { PlatformDb } from '../db/platform-database.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import { LoginThrottle } from './sessions/login-throttle.js';
import { SessionStore } from './sessions/session-store.js';
import { TenantUserPrincipals } from './sessions/tenant-user-principals.js';

/** What logging in needs in every process: access tokens, sessions, tenant users as callers. */
export interface StaffAuth {
  tokens: AccessTokens;
  sessions: SessionStore;
  users: TenantUserPrincipals;
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
  return {
    tokens,
    sessions: new SessionStore(deps.platform, config.secrets.currentKey, config.auth),
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
