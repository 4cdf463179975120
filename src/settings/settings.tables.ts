import type { ColumnType } from 'kysely';

export interface SettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SettingsTables {
  settings: SettingsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends SettingsTables {}
}
