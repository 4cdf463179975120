import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

type ActorType = Actor['type'];

export const callPriorities = ['urgent', 'high', 'medium', 'low'] as const;
export type CallPriority = (typeof callPriorities)[number];

export const queueEntryStatuses = [
  'waiting',
  'dialing',
  'connected',
  'not_connected',
  'removed',
  'do_not_call',
] as const;
export type QueueEntryStatus = (typeof queueEntryStatuses)[number];

export interface CallQueueTable {
  id: Generated<string>;
  lead_id: string;
  campaign: Generated<string>;
  priority: CallPriority;
  /** 0 urgent … 3 low. */
  priority_rank: number;
  status: Generated<QueueEntryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  last_call_id: string | null;
  last_outcome: string | null;
  timezones: string[];
  queued_at: Date;
  finished_at: Date | null;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface DialerTables {
  call_queue: CallQueueTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends DialerTables {}
}
