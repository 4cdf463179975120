import type { Kysely } from 'kysely';
import type { QueueTables } from '../queue/queue.tables.js';
import type { TenantTables } from '../tenants/tenant.tables.js';
import type { WhatsAppPlatformTables } from '../whatsapp/whatsapp.tables.js';

export const platformSchema = 'platform';

/** Tables of the services database (schema `platform`), one interface per owning component. */
export type PlatformDatabase = TenantTables & QueueTables & WhatsAppPlatformTables;

export type PlatformDb = Kysely<PlatformDatabase>;
