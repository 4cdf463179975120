import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | undefined, Date>;

export interface AgentsTable {
  id: Generated<string>;
  name: string;
  email: string | null;
  phone: string | null;
  role: Generated<string>;
  languages: Generated<string[]>;
  territories: Generated<string[]>;
  daily_limit: Generated<number>;
  weight: Generated<number>;
  active: Generated<boolean>;
  available: Generated<boolean>;
  /** `HH:MM:SS` in the tenant's timezone. */
  work_start: string | null;
  work_end: string | null;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  work_days: number[] | null;
  assigned_date: ColumnType<string | null, never, never>;
  assigned_today: ColumnType<number, never, never>;
  last_assigned_at: ColumnType<Date | null, never, never>;
  assignment_seq: ColumnType<number | null, never, never>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AgentsTables {
  agents: AgentsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends AgentsTables {}
}
