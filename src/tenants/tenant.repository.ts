import { sql, type Selectable } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';
import { toTenant, type Tenant } from '../tenancy/tenant.js';
import type { ApiKeysTable } from './tenant.tables.js';

export const tenantChangesChannel = 'switchyard_tenant_changed';

export interface ApiKeySummary {
  id: string;
  label: string;
  prefix: string;
  scopes: string[];
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export function toApiKeySummary(row: Selectable<ApiKeysTable>): ApiKeySummary {
  return {
    id: row.id,
    label: row.label,
    prefix: row.prefix,
    scopes: row.scopes,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

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
