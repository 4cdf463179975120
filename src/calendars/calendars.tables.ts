import type { ColumnType, Generated } from 'kysely';

export interface CalendarsTable {
  id: Generated<string>;
  name: string;
  team_id: string | null;
  timezone: string;
  /** `{ mon: [["10:00","19:00"]], … }`, see business-time.ts. */
  intervals: ColumnType<Record<string, [string, string][]>, string, string>;
  holidays: Generated<string[]>;
  is_default: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CalendarsTables {
  calendars: CalendarsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends CalendarsTables {}
}
