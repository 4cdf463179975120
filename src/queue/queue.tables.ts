import type { ColumnType, Generated } from 'kysely';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'dead' | 'cancelled';

export const jobStatuses: JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];

/** One entry of a job's error history. */
export interface JobErrorEntry {
  attempt: number;
  at: string;
  error: string;
  code?: string;
}

export interface JobsTable {
  id: ColumnType<number, never, never>;
  tenant_id: string;
  kind: string;
  payload: unknown;
  status: Generated<JobStatus>;
  priority: Generated<number>;
  run_at: Generated<Date>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  timeout_ms: number | null;
  locked_until: Date | null;
  locked_by: string | null;
  last_error: string | null;
  errors: Generated<JobErrorEntry[]>;
  result: unknown;
  idempotency_key: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface CronTicksTable {
  task: string;
  tick: Date;
  claimed_by: string;
  claimed_at: ColumnType<Date, Date | undefined, never>;
}

export interface QueueTables {
  jobs: JobsTable;
  cron_ticks: CronTicksTable;
}

declare module '../db/platform-database.js' {
  interface PlatformDatabase extends QueueTables {}
}
