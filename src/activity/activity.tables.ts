import type { ColumnType, Generated } from 'kysely';

export type ActorType = 'user' | 'api_key' | 'system';

export interface LeadActivitiesTable {
  id: Generated<number>;
  lead_id: string;
  kind: string;
  /** Display name: the user's name, the key's label, `automation: …`. */
  actor: string | null;
  actor_type: ColumnType<ActorType | null, ActorType | null | undefined, ActorType | null>;
  actor_id: ColumnType<string | null, string | null | undefined, string | null>;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}

export interface LeadNotesTable {
  id: Generated<string>;
  lead_id: string;
  body: string;
  author: string | null;
  author_type: ColumnType<ActorType | null, ActorType | null | undefined, ActorType | null>;
  author_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export interface ActivityTables {
  lead_activities: LeadActivitiesTable;
  lead_notes: LeadNotesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ActivityTables {}
}
