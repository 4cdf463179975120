import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;

export interface MeetingsTable {
  id: Generated<string>;
  lead_id: string | null;
  title: string;
  start_at: Date;
  end_at: Date;
  attendees: Json<string[]>;
  status: Generated<'pending' | 'ready' | 'failed'>;
  calendar_id: string | null;
  calendar_event_id: string | null;
  html_link: string | null;
  hangout_link: string | null;
  entry_points: Json<unknown[]> | null;
  error: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface MeetingsTables {
  meetings: MeetingsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends MeetingsTables {}
}
