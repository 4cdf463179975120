import type { Selectable } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { leadIdVisibleTo } from '../leads/index.js';
import type { QueueEntry, QueueListQuery } from './call-queue.schemas.js';
import type { CallPriority, CallQueueTable } from './dialer.tables.js';

export type QueueEntryRow = Selectable<CallQueueTable>;

export const priorityRank: Record<CallPriority, number> = { urgent: 0, high: 1, medium: 2, low: 3 };

export function toQueueEntry(row: QueueEntryRow): QueueEntry {
  return {
    id: row.id,
    leadId: row.lead_id,
    campaign: row.campaign,
    priority: row.priority,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastCallId: row.last_call_id,
    lastOutcome: row.last_outcome,
    queuedAt: row.queued_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Queue entries of the leads `visibility` reaches (the one visibility filter, by the lead's owner). */
export function selectQueueEntries(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('call_queue')
    .selectAll('call_queue')
    .where(leadIdVisibleTo(visibility, 'call_queue.lead_id'));
}

/** The dialer's order: priority, then oldest first. */
const queueKeyset: Keyset = {
  list: 'call-queue:order',
  columns: [
    ['call_queue.priority_rank', 'int'],
    ['call_queue.queued_at', 'timestamp'],
    ['call_queue.id', 'uuid'],
  ],
  direction: 'asc',
};

export async function listQueueEntries(
  db: TenantDb,
  visibility: Visibility,
  query: QueueListQuery & { limit: number; cursor?: string },
): Promise<Page<QueueEntry> & { total: number }> {
  let base = selectQueueEntries(db, visibility).where(
    'call_queue.status',
    'in',
    query.status ?? ['waiting', 'dialing'],
  );
  if (query.priority) base = base.where('call_queue.priority', 'in', query.priority);
  if (query.campaign) base = base.where('call_queue.campaign', '=', query.campaign);
  if (query.leadId) base = base.where('call_queue.lead_id', '=', query.leadId);
  return pageWithTotal(base, queueKeyset, query, toQueueEntry);
}
