import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | undefined, Date>;
type Json<T> = ColumnType<T, string, string>;

export interface AutomationRulesTable {
  id: Generated<string>;
  name: string;
  trigger: string;
  conditions: Json<unknown[]>;
  actions: Json<unknown[]>;
  active: Generated<boolean>;
  delay_minutes: number | null;
  reminder_minutes_before: number | null;
  appointment_time_variable: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AutomationEventsTable {
  id: Generated<string>;
  event_key: string | null;
  trigger: string;
  source: 'api' | 'internal' | 'cron';
  phone: string | null;
  lead_id: string | null;
  variables: Json<Record<string, unknown>>;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'waiting';

export interface AutomationRunsTable {
  id: Generated<string>;
  event_id: string;
  rule_id: string | null;
  rule_name: string;
  trigger: string;
  depth: Generated<number>;
  lead_id: string | null;
  variables: Json<Record<string, unknown>>;
  status: RunStatus;
  rule_actions: Json<unknown[]>;
  outcomes: Json<unknown[]>;
  job_ids: Generated<string[]>;
  cascade_cut: Json<unknown[]>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AutomationOutboxTable {
  id: ColumnType<number, never, never>;
  trigger: string;
  lead_id: string;
  variables: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface AutomationRemindersTable {
  id: Generated<string>;
  rule_id: string;
  source_event_id: string;
  lead_id: string | null;
  phone: string | null;
  variables: Json<Record<string, unknown>>;
  fire_at: Date;
  fired_at: Date | null;
}

export interface AutomationsTables {
  automation_rules: AutomationRulesTable;
  automation_events: AutomationEventsTable;
  automation_runs: AutomationRunsTable;
  automation_outbox: AutomationOutboxTable;
  automation_reminders: AutomationRemindersTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends AutomationsTables {}
}
