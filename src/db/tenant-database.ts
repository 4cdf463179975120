import type { Kysely } from 'kysely';
import type { SettingsTables } from '../settings/settings.tables.js';
import type { WhatsAppTenantTables } from '../whatsapp/whatsapp.tables.js';

/** Tables of one tenant's schema (`t_<code>`), one interface per owning component. */
export type TenantDatabase = SettingsTables & WhatsAppTenantTables;

export type TenantDb = Kysely<TenantDatabase>;
