import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface TenantsTable {
  id: Generated<string>;
  client_code: string;
  name: string;
  status: Generated<'active' | 'suspended'>;
  timezone: Generated<string>;
  default_country: Generated<string>;
  data_location: Generated<'default' | 'dedicated'>;
  /** jsonb object of per-tenant limit overrides (tenant-limits.ts); written as JSON text. */
  limits: ColumnType<unknown, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  label: string;
  scopes: Generated<string[]>;
  prefix: string;
  key_hash: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** A user of the tenant this key acts as (their role and visibility); null: the tenant itself. */
  acts_as_user_id: Generated<string | null>;
  created_at: CreatedAt;
}

export interface TenantSecretsTable {
  tenant_id: string;
  kind: string;
  key_id: string;
  ciphertext: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TenantTables {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  tenant_secrets: TenantSecretsTable;
}

declare module '../db/platform-database.js' {
  interface PlatformDatabase extends TenantTables {}
}
