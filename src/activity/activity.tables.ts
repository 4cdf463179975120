import type { ColumnType, Generated } from 'kysely';

export interface LeadActivitiesTable {
  id: Generated<number>;
  lead_id: string;
  kind: string;
  actor: string | null;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}

export interface LeadNotesTable {
  id: Generated<string>;
  lead_id: string;
  body: string;
  author: string | null;
  created_at: Generated<Date>;
}

export interface ActivityTables {
  lead_activities: LeadActivitiesTable;
  lead_notes: LeadNotesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ActivityTables {}
}
