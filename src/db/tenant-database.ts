import type { Kysely } from 'kysely';
import type { SettingsTables } from '../settings/settings.tables.js';

/** Tables of one tenant's schema (`t_<code>`), one interface per owning component. */
export type TenantDatabase = SettingsTables;

export type TenantDb = Kysely<TenantDatabase>;
