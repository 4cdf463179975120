import type { PlatformDb } from '../../db/platform-database.js';

/** Tenants that have at least one routed number (their verify tokens answer the shared webhook). */
export async function tenantIdsWithNumbers(platform: PlatformDb): Promise<string[]> {
  const rows = await platform.selectFrom('whatsapp_numbers').select('tenant_id').distinct().execute();
  return rows.map((row) => row.tenant_id);
}
