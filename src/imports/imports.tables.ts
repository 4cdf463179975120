import type { ColumnType, Generated } from 'kysely';
import type { CallPriority } from '../dialer/index.js';

export type ImportStatus = 'uploading' | 'queued' | 'running' | 'completed' | 'failed';

/** The import's leads go to the call queue with this priority and campaign (`callQueue=true`). */
export interface ImportCallQueue {
  priority: CallPriority;
  campaign?: string;
}

export interface RowError {
  line: number;
  reason: string;
}

type Counter = ColumnType<number, number | undefined, number>;

export interface ImportsTable {
  id: Generated<string>;
  status: ColumnType<ImportStatus, ImportStatus | undefined, ImportStatus>;
  file_name: string | null;
  actor: string | null;
  /** The user who started the import (null: an API key acting as the tenant, or a deleted user). */
  started_by: ColumnType<string | null, string | null | undefined, never>;
  actor_type: ColumnType<string | null, string | null | undefined, string | null>;
  actor_id: ColumnType<string | null, string | null | undefined, string | null>;
  assign: boolean;
  mapping: ColumnType<Record<string, string>, string | undefined, string>;
  /** bigint columns come back as strings from node-postgres. */
  bytes: ColumnType<string | number, number | undefined, number>;
  chunks: Counter;
  processed_bytes: ColumnType<string | number, number | undefined, number>;
  last_line: Counter;
  total: Counter;
  created: Counter;
  duplicates: Counter;
  failed: Counter;
  /** Leads its batches put in the call queue. */
  queued: Counter;
  call_queue: ColumnType<ImportCallQueue | null, string | null | undefined, string | null>;
  errors: ColumnType<RowError[], string | undefined, string>;
  failure: string | null;
  /** The run that owns the import (its fencing token): only its batches commit. */
  claimed_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ImportsTables {
  imports: ImportsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ImportsTables {}
}
