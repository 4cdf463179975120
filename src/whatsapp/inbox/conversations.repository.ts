import { sql, type Selectable } from 'kysely';
import { everyLead, type Visibility } from '../../auth/access.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { leadIdVisibleTo } from '../../leads/index.js';
import { pageOf, type Keyset } from '../../http/pagination.js';
import type { ConversationsTable, MessagesTable } from '../whatsapp.tables.js';

export function toMessage(row: Selectable<MessagesTable>) {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    direction: row.direction,
    wamid: row.wamid,
    type: row.type,
    body: row.body,
    status: row.status,
    errors: row.errors,
    hasMedia: row.media_id !== null,
    mediaStored: row.media_key !== null,
    sentAt: row.sent_at,
    createdAt: row.created_at,
  };
}

function toConversation(row: Selectable<ConversationsTable>) {
  return {
    id: row.id,
    channel: row.channel,
    phoneNumberId: row.phone_number_id,
    waId: row.wa_id,
    contactName: row.contact_name,
    leadId: row.lead_id,
    unreadCount: row.unread_count,
    lastInboundAt: row.last_inbound_at,
    lastMessageAt: row.last_message_at,
  };
}

/**
 * A conversation, when `visibility` (the caller's; every one for jobs) sees its lead: a
 * conversation linked to no lead only with scope `all`.
 */
export async function findConversation(db: TenantDb, id: string, visibility: Visibility = everyLead) {
  const row = await db
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', id)
    .where(leadIdVisibleTo(visibility, 'conversations.lead_id'))
    .executeTakeFirst();
  return row && toConversation(row);
}

/** Most recent message first (a conversation with none by its creation), then by id. */
const conversationKeyset: Keyset = {
  list: 'conversations',
  columns: [
    [sql`coalesce(c.last_message_at, c.created_at)`, 'timestamp'],
    ['c.id', 'uuid'],
  ],
  direction: 'desc',
};

/** Most recent first, each with its latest message and the assigned agent of its lead; those whose lead `visibility` sees. */
export async function listConversations(
  db: TenantDb,
  page: { limit: number; cursor?: string },
  visibility: Visibility,
) {
  const query = db
    .selectFrom('conversations as c')
    .where(leadIdVisibleTo(visibility, 'c.lead_id'))
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('messages as m')
          .select(['m.id', 'm.direction', 'm.type', 'm.body', 'm.status'])
          .whereRef('m.conversation_id', '=', 'c.id')
          .orderBy('m.created_at', 'desc')
          .orderBy('m.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .leftJoin('leads as l', 'l.id', 'c.lead_id')
    .leftJoin('agents as a', 'a.id', 'l.assigned_agent_id')
    .selectAll('c')
    .select([
      'a.id as agent_id',
      'a.name as agent_name',
      'last.id as last_id',
      'last.direction as last_direction',
      'last.type as last_type',
      'last.body as last_body',
      'last.status as last_status',
    ]);
  return pageOf(query, conversationKeyset, page, (row) => ({
    ...toConversation(row),
    assignedAgent: row.agent_id ? { id: row.agent_id, name: row.agent_name! } : null,
    lastMessage: row.last_id
      ? {
          id: row.last_id,
          direction: row.last_direction!,
          type: row.last_type!,
          body: row.last_body ?? null,
          status: row.last_status!,
        }
      : null,
  }));
}

const messageKeyset: Keyset = {
  list: 'messages',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first; `nextCursor` pages back to older messages. */
export async function listMessages(
  db: TenantDb,
  conversationId: string,
  page: { limit: number; cursor?: string },
) {
  const query = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
  return pageOf(query, messageKeyset, page, toMessage);
}

/**
 * The conversation to write to `phone` (E.164) in: the most recent one with that contact,
 * else a new one on `phoneNumberId` (the tenant's first business number), linked to `leadId`.
 */
export async function conversationForRecipient(
  db: TenantDb,
  phone: string,
  phoneNumberId: string,
  leadId: string | null,
): Promise<string> {
  const waId = phone.replace(/^\+/, '');
  const existing = await latestConversationWith(db, waId).executeTakeFirst();
  if (existing) return existing.id;
  const created = await db
    .insertInto('conversations')
    .values({ phone_number_id: phoneNumberId, wa_id: waId, lead_id: leadId })
    .onConflict((conflict) =>
      conflict.columns(['phone_number_id', 'wa_id']).doUpdateSet((eb) => ({
        lead_id: eb.fn.coalesce('conversations.lead_id', 'excluded.lead_id'),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

/** The most recent conversation with a contact (`wa_id`: the phone without `+`), as a query. */
export function latestConversationWith(db: TenantDb, waId: string) {
  return db
    .selectFrom('conversations')
    .select('id')
    .where('wa_id', '=', waId)
    .orderBy('last_message_at', (ob) => ob.desc().nullsLast())
    .orderBy('created_at', 'desc')
    .limit(1);
}

/** Sets the unread count back to 0; undefined when there is no such conversation. */
export async function markConversationRead(db: TenantDb, id: string) {
  const row = await db
    .updateTable('conversations')
    .set({ unread_count: 0, updated_at: new Date() })
    .where('id', '=', id)
    .returning(['id', 'unread_count'])
    .executeTakeFirst();
  return row && { id: row.id, unreadCount: row.unread_count };
}

/** Where a message's media is stored (`mediaKey` null until it is), when `visibility` sees its conversation's lead. */
export async function findMessageMedia(db: TenantDb, id: string, visibility: Visibility) {
  const row = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select(['messages.media_key', 'messages.media_mime_type'])
    .where('messages.id', '=', id)
    .where(leadIdVisibleTo(visibility, 'conversations.lead_id'))
    .executeTakeFirst();
  return row && { mediaKey: row.media_key, mimeType: row.media_mime_type };
}

/** The agent owning a conversation's lead (null: no lead, or unassigned), for realtime's audience. */
export async function conversationOwner(db: TenantDb, conversationId: string): Promise<string | null> {
  const row = await db
    .selectFrom('conversations as c')
    .innerJoin('leads as l', 'l.id', 'c.lead_id')
    .select('l.assigned_agent_id')
    .where('c.id', '=', conversationId)
    .executeTakeFirst();
  return row?.assigned_agent_id ?? null;
}
