import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import { orNotFound } from '../../http/or-not-found.js';
import { pageSchema } from '../../http/pagination.js';
import { callerOf } from '../../http/request-context.js';
import {
  conversationSchema,
  idParams,
  listConversationsQuery,
  listMessagesQuery,
  messageSchema,
  sendMessageBody,
} from './conversations.schemas.js';
import {
  findConversation,
  findMessageMedia,
  listConversations,
  listMessages,
  markConversationRead,
} from './conversations.repository.js';
import { queueOutboundMessage } from '../sending/outbound.service.js';
import type { Access } from '../../auth/access.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { requireWritable } from '../../leads/index.js';
import { resolveRepliedWithin } from '../../signals/index.js';

const mediaUrlTtlSeconds = 300;

/**
 * A conversation the caller sees (its lead visible; one of no lead with scope `all`), else 404;
 * with `write`, one whose lead their `leads.write` reaches, else 403.
 */
async function requireConversation(db: TenantDb, access: Access, id: string, write = false) {
  const conversation = orNotFound(
    await findConversation(db, id, access.visibility('leads.read')),
    'Conversation',
  );
  if (write)
    requireWritable((await findConversation(db, id, access.visibility('leads.write'))) !== undefined);
  return conversation;
}

/** The WhatsApp inbox: conversations, their messages, sending, and media links. */
export function registerInboxRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/conversations',
      summary: 'Conversations, most recent first, with the last message and unread count',
      tag: 'Conversations',
      query: listConversationsQuery,
      response: pageSchema(conversationSchema),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listConversations(handle.db, query, access.visibility('leads.read'));
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/conversations/:id/messages',
      summary: 'Messages of a conversation, newest first; nextCursor pages back to older ones',
      tag: 'Conversations',
      params: idParams,
      query: listMessagesQuery,
      response: pageSchema(messageSchema),
      errors: { 404: 'No such conversation' },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        await requireConversation(handle.db, access, params.id);
        return listMessages(handle.db, params.id, query);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/conversations/:id/read',
      summary: 'Mark a conversation read (unread count back to 0)',
      tag: 'Conversations',
      params: idParams,
      status: 200,
      response: z.object({ id: z.uuid(), unreadCount: z.number() }),
      errors: { 404: 'No such conversation' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        await requireConversation(handle.db, access, params.id, true);
        return orNotFound(await markConversationRead(handle.db, params.id), 'Conversation');
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/conversations/:id/messages',
      summary: 'Send a text (within 24 h of the last inbound message) or an approved template',
      description: "Resolves the lead's pending WhatsApp signal (resolution `replied`, by the caller).",
      tag: 'Conversations',
      params: idParams,
      body: sendMessageBody,
      status: 202,
      response: messageSchema,
      errors: {
        404: 'No such conversation',
        409: 'outside_customer_service_window or template_not_approved',
      },
      handler: async ({ req, params, body }) => {
        const { handle, access, actor } = callerOf(req);
        const conversation = await requireConversation(handle.db, access, params.id, true);
        // A person's reply (a user, or an API key on their behalf) answers the customer: it
        // resolves the lead's pending WhatsApp signal. Automations' sends go elsewhere and do not.
        return queueOutboundMessage(
          services,
          handle,
          params.id,
          body,
          new Date(),
          async (_trx, _id, unit) => {
            if (conversation.leadId)
              await resolveRepliedWithin(unit, services, handle, {
                type: 'whatsapp',
                leadId: conversation.leadId,
                actor,
              });
          },
        );
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/messages/:id/media',
      summary: "A short-lived URL of a message's stored media",
      tag: 'Conversations',
      params: idParams,
      response: z.object({ url: z.string(), mimeType: z.string().nullable(), expiresInSeconds: z.number() }),
      errors: { 404: 'No such message, or its media is not stored yet' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const media = orNotFound(
          await findMessageMedia(handle.db, params.id, access.visibility('leads.read')),
          'Message',
        );
        if (!media.mediaKey) {
          throw new AppError('media_not_available', 'This message has no stored media (yet)');
        }
        return {
          url: await services.storage.presignGet(media.mediaKey, mediaUrlTtlSeconds),
          mimeType: media.mimeType,
          expiresInSeconds: mediaUrlTtlSeconds,
        };
      },
    });
}
