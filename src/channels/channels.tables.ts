import type { ColumnType } from 'kysely';

/** Health of each external channel as last observed (e.g. an invalid WhatsApp token). */
export interface ChannelHealthTable {
  channel: string;
  healthy: boolean;
  last_error: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ChannelsTables {
  channel_health: ChannelHealthTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ChannelsTables {}
}
