import type { Selectable } from 'kysely';
import type { ApiKeysTable } from '../tenancy/tenant.tables.js';

export interface ApiKeySummary {
  id: string;
  label: string;
  prefix: string;
  scopes: string[];
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  /** The user the key acts as (their permissions and visibility), or null: the key acts as the tenant. */
  actsAsUserId: string | null;
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
    actsAsUserId: row.acts_as_user_id,
  };
}
