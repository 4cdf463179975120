import type { Kysely } from 'kysely';
import type { TenantTables } from '../tenants/tenant.tables.js';

export const platformSchema = 'platform';

/** Tables of the services database (schema `platform`), one interface per owning component. */
export type PlatformDatabase = TenantTables;

export type PlatformDb = Kysely<PlatformDatabase>;
