import { readTenantLimits, type TenantLimits } from './tenant-limits.js';

/** A tenant as the rest of the code sees it (the platform's `tenants` row, camel-cased). */
export interface Tenant {
  id: string;
  clientCode: string;
  name: string;
  status: 'active' | 'suspended';
  timezone: string;
  defaultCountry: string;
  dataLocation: 'default' | 'dedicated';
  /** The platform operator's overrides of process-wide limits (`limitFor`, tenant-limits.ts). */
  limits: TenantLimits;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of a platform `tenants` row the record is made of. */
export interface TenantRow {
  id: string;
  client_code: string;
  name: string;
  status: Tenant['status'];
  timezone: string;
  default_country: string;
  data_location: Tenant['dataLocation'];
  /** jsonb: read leniently (`readTenantLimits`). */
  limits: unknown;
  created_at: Date;
  updated_at: Date;
}

/** The one mapping from a `tenants` row to the record. */
export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    clientCode: row.client_code,
    name: row.name,
    status: row.status,
    timezone: row.timezone,
    // char(2): a driver may hand it back padded.
    defaultCountry: row.default_country.trim(),
    dataLocation: row.data_location,
    limits: readTenantLimits(row.limits),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function schemaOf(clientCode: string): string {
  return `t_${clientCode}`;
}
