import type { ColumnType, Generated } from 'kysely';

export type PresenceSetting = 'available' | 'away';

export interface AgentPresenceTable {
  agent_id: string;
  setting: Generated<PresenceSetting>;
  online: Generated<boolean>;
  last_seen_at: Date | null;
  wrap_up_until: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PresenceTables {
  agent_presence: AgentPresenceTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends PresenceTables {}
}
