import type { PlatformDb } from '../db/platform-database.js';
import { toTenant, type Tenant } from './tenant.js';

export async function findTenantByCode(db: PlatformDb, clientCode: string): Promise<Tenant | null> {
  const row = await db
    .selectFrom('tenants')
    .selectAll()
    .where('client_code', '=', clientCode)
    .executeTakeFirst();
  return row ? toTenant(row) : null;
}

export async function findTenantById(db: PlatformDb, id: string): Promise<Tenant | null> {
  const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toTenant(row) : null;
}
