import { sql } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';
import { toTenant, type Tenant } from './tenant.js';

/** Every process LISTENs here: a tenant's status, limits, keys or secrets changed (payload: its id). */
export const tenantChangesChannel = 'switchyard_tenant_changed';

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

/** Tells every process (through NOTIFY, delivered at commit) that a tenant or its keys changed. */
export async function announceTenantChange(db: PlatformDb, tenantId: string): Promise<void> {
  await sql`select pg_notify(${tenantChangesChannel}, ${tenantId})`.execute(db);
}
