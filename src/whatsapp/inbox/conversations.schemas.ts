import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';
import { piiPhone } from '../../http/pii.js';

export const idParams = z.object({ id: z.uuid() });

export const listConversationsQuery = z.object({ ...pageQuery });

/** Strict: the old `before` parameter is refused, not ignored (it would restart from the newest). */
export const listMessagesQuery = z.strictObject({ ...pageQuery });

const templateComponent = z.looseObject({ type: z.string().min(1) });

export const sendMessageBody = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.string().min(1).max(4096),
    previewUrl: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('template'),
    template: z.object({
      name: z.string().min(1),
      language: z.string().min(2),
      components: z.array(templateComponent).default([]),
    }),
  }),
]);
export type SendMessageBody = z.infer<typeof sendMessageBody>;

export const messageSchema = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  direction: z.enum(['inbound', 'outbound']),
  wamid: z.string().nullable(),
  type: z.string(),
  body: z.string().nullable(),
  status: z.string(),
  errors: z.array(z.unknown()).nullable(),
  hasMedia: z.boolean(),
  mediaStored: z.boolean(),
  sentAt: z.date().nullable(),
  createdAt: z.date(),
});

export const conversationSchema = z.object({
  id: z.uuid(),
  channel: z.string(),
  phoneNumberId: z.string(),
  waId: piiPhone(),
  contactName: z.string().nullable(),
  leadId: z.uuid().nullable(),
  /** The agent the conversation's lead is assigned to. */
  assignedAgent: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  unreadCount: z.number(),
  lastInboundAt: z.date().nullable(),
  lastMessageAt: z.date().nullable(),
  lastMessage: z
    .object({
      id: z.uuid(),
      direction: z.string(),
      type: z.string(),
      body: z.string().nullable(),
      status: z.string(),
    })
    .nullable(),
});
