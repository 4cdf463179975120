import { sql } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import type { MessageStatus } from '../whatsapp.tables.js';

/**
 * Order of outbound statuses: a status only ever moves a message forward, so a late `sent`
 * never downgrades `read`. `failed` ranks above `sent` (the message never arrived) but
 * below `delivered` (a device already has it).
 */
const statusRank: Record<MessageStatus, number> = {
  received: 0,
  queued: 0,
  accepted: 1,
  sent: 2,
  failed: 3,
  delivered: 4,
  read: 5,
  played: 6,
};

export const outboundStatuses = ['sent', 'delivered', 'read', 'played', 'failed'] as const;
export type WebhookStatus = (typeof outboundStatuses)[number];

export interface StatusUpdate {
  wamid: string;
  status: WebhookStatus;
  at: Date;
  errors: unknown[] | null;
}

export interface AppliedStatus {
  messageId: string;
  conversationId: string;
  status: MessageStatus;
}

const rankSql = (column: string) =>
  sql<number>`case ${sql.ref(column)} ${sql.join(
    Object.entries(statusRank).map(([status, rank]) => sql`when ${status} then ${rank}`),
    sql` `,
  )} else 0 end`;

/**
 * Applies a status to the outbound message with this wamid, only if it moves it forward
 * (errors of a failure are recorded either way). When no message has the wamid yet, the
 * status is kept for later. Returns the message when it changed.
 */
export async function applyStatus(db: TenantDb, update: StatusUpdate): Promise<AppliedStatus | null> {
  const errors = update.errors ? JSON.stringify(update.errors) : null;
  const changed = await db
    .updateTable('messages')
    .set({ status: update.status, updated_at: new Date(), ...(errors ? { errors } : {}) })
    .where('wamid', '=', update.wamid)
    .where('direction', '=', 'outbound')
    .where(rankSql('status'), '<', statusRank[update.status])
    .returning(['id', 'conversation_id', 'status'])
    .executeTakeFirst();
  if (changed)
    return { messageId: changed.id, conversationId: changed.conversation_id, status: changed.status };

  const existing = await db
    .selectFrom('messages')
    .select('id')
    .where('wamid', '=', update.wamid)
    .executeTakeFirst();
  if (existing) {
    if (errors) await db.updateTable('messages').set({ errors }).where('id', '=', existing.id).execute();
    return null;
  }
  await db
    .insertInto('whatsapp_pending_statuses')
    .values({ wamid: update.wamid, status: update.status, status_at: update.at, errors })
    .onConflict((conflict) => conflict.columns(['wamid', 'status']).doNothing())
    .execute();
  return null;
}

/** Applies statuses that arrived before the message got its wamid, in rank order. */
export async function applyPendingStatuses(db: TenantDb, wamid: string): Promise<AppliedStatus | null> {
  const pending = await db
    .deleteFrom('whatsapp_pending_statuses')
    .where('wamid', '=', wamid)
    .returningAll()
    .execute();
  let last: AppliedStatus | null = null;
  for (const row of pending.sort((a, b) => statusRank[a.status] - statusRank[b.status])) {
    const errors = row.errors as unknown as unknown[] | null;
    last =
      (await applyStatus(db, { wamid, status: row.status as WebhookStatus, at: row.status_at, errors })) ??
      last;
  }
  return last;
}
