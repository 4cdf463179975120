import type { PlatformDb } from '../db/platform-database.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';

/**
 * After a committed change to users, roles, teams or memberships: every process drops the
 * tenant's cached callers (NOTIFY), this one at once, so the next request reads them anew.
 */
export async function announceStaffChange(
  services: { platform: PlatformDb; tenantChanges: TenantChanges },
  tenantId: string,
): Promise<void> {
  await services.tenantChanges.announce(services.platform, tenantId);
}
