import { sql } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { describeInbound, type InboundMessage } from './inbound-message.js';

export interface StoredInbound {
  created: boolean;
  messageId: string;
  conversationId: string;
  leadId: string | null;
  /** The message's type as the inbox shows it (`voice` for a voice note). */
  type: string;
  body: string | null;
  /** When the customer sent it (Meta's timestamp; the time of storing when it has none). */
  at: Date;
  hasMediaToFetch: boolean;
}

/**
 * Stores an inbound message once (the unique wamid decides, never a prior check), in its
 * conversation with the sender; only a new message bumps the unread count. `trx`: the caller's
 * unit of work (what the new message causes commits with it).
 */
export async function storeInboundMessage(
  trx: TenantDb,
  phoneNumberId: string,
  message: InboundMessage,
  contactName: string | null,
): Promise<StoredInbound> {
  const described = describeInbound(message);
  const at = new Date(Number(message.timestamp) * 1000 || Date.now());
  const conversation = await trx
    .insertInto('conversations')
    .values({ phone_number_id: phoneNumberId, wa_id: message.from, contact_name: contactName })
    .onConflict((conflict) =>
      conflict.columns(['phone_number_id', 'wa_id']).doUpdateSet({
        contact_name: sql<string | null>`coalesce(excluded.contact_name, conversations.contact_name)`,
      }),
    )
    .returning(['id', 'lead_id'])
    .executeTakeFirstOrThrow();
  const inserted = await trx
    .insertInto('messages')
    .values({
      conversation_id: conversation.id,
      direction: 'inbound',
      wamid: message.id,
      type: described.type,
      body: described.body,
      content: JSON.stringify(message),
      status: 'received',
      media_id: described.media?.id ?? null,
      media_mime_type: described.media?.mimeType ?? null,
      media_sha256: described.media?.sha256 ?? null,
      sent_at: at,
    })
    .onConflict((conflict) => conflict.column('wamid').doNothing())
    .returning(['id', 'media_id', 'media_key'])
    .executeTakeFirst();
  if (inserted) {
    await trx
      .updateTable('conversations')
      .set({
        unread_count: sql`unread_count + 1`,
        last_inbound_at: sql`greatest(last_inbound_at, ${at})`,
        last_message_at: sql`greatest(last_message_at, ${at})`,
        updated_at: new Date(),
      })
      .where('id', '=', conversation.id)
      .execute();
  }
  const row =
    inserted ??
    (await trx
      .selectFrom('messages')
      .select(['id', 'media_id', 'media_key'])
      .where('wamid', '=', message.id)
      .executeTakeFirstOrThrow());
  return {
    created: Boolean(inserted),
    messageId: row.id,
    conversationId: conversation.id,
    leadId: conversation.lead_id,
    type: described.type,
    body: described.body,
    at,
    hasMediaToFetch: row.media_id !== null && row.media_key === null,
  };
}
