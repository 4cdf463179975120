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
