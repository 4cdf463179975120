import { createHmac } from 'node:crypto';

/** Webhook payloads shaped as in Meta's WhatsApp Cloud API webhook reference. */

export const testAppSecret = 'test-meta-app-secret';
const timestamp = () => String(Math.floor(Date.now() / 1000));

type Message = Record<string, unknown>;

export function inbound(id: string, from: string, type: string, part: Record<string, unknown>): Message {
  return { from, id, timestamp: timestamp(), type, ...part };
}

/** One of every inbound message type the inbox handles, from `from`. */
export function everyMessageType(
  from: string,
  media: Record<string, { id: string; sha256: string }>,
): Message[] {
  return [
    inbound('wamid.TEXT', from, 'text', { text: { body: 'Hola, ¿tienen envío? 👋' } }),
    inbound('wamid.IMAGE', from, 'image', {
      image: { caption: 'the broken part', mime_type: 'image/jpeg', ...media.image },
    }),
    inbound('wamid.DOCUMENT', from, 'document', {
      document: {
        caption: 'invoice',
        filename: 'invoice 2026.pdf',
        mime_type: 'application/pdf',
        ...media.document,
      },
    }),
    inbound('wamid.VOICE', from, 'audio', {
      audio: { mime_type: 'audio/ogg; codecs=opus', voice: true, ...media.audio },
    }),
    inbound('wamid.VIDEO', from, 'video', { video: { mime_type: 'video/mp4', ...media.video } }),
    inbound('wamid.STICKER', from, 'sticker', {
      sticker: { mime_type: 'image/webp', animated: false, ...media.sticker },
    }),
    inbound('wamid.LOCATION', from, 'location', {
      location: { latitude: 40.4168, longitude: -3.7038, name: 'Office', address: 'Gran Vía 1, Madrid' },
    }),
    inbound('wamid.CONTACTS', from, 'contacts', {
      contacts: [
        {
          name: { formatted_name: 'Ana García', first_name: 'Ana', last_name: 'García' },
          phones: [{ phone: '+34 600 000 000', wa_id: '34600000000', type: 'MOBILE' }],
        },
      ],
    }),
    inbound('wamid.BUTTONREPLY', from, 'interactive', {
      interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes, call me' } },
    }),
    inbound('wamid.LISTREPLY', from, 'interactive', {
      interactive: {
        type: 'list_reply',
        list_reply: { id: 'plan-pro', title: 'Pro plan', description: '€49' },
      },
    }),
    inbound('wamid.QUICKREPLY', from, 'button', {
      context: { from: '15550001111', id: 'wamid.TEMPLATE' },
      button: { text: 'Book a demo', payload: 'BOOK_DEMO' },
    }),
    inbound('wamid.REACTION', from, 'reaction', { reaction: { message_id: 'wamid.SENT1', emoji: '👍' } }),
  ];
}

export function status(
  wamid: string,
  value: 'sent' | 'delivered' | 'read' | 'played' | 'failed',
  recipient: string,
  extra: Record<string, unknown> = {},
): Message {
  return {
    id: wamid,
    status: value,
    timestamp: timestamp(),
    recipient_id: recipient,
    ...(value === 'failed'
      ? {
          errors: [
            {
              code: 131026,
              title: 'Message undeliverable',
              message: 'Message undeliverable',
              error_data: { details: 'Message Undeliverable.' },
            },
          ],
        }
      : {
          conversation: { id: 'CONVERSATION_ID', origin: { type: 'service' } },
          pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
        }),
    ...extra,
  };
}

export interface ChangeSpec {
  phoneNumberId: string;
  messages?: Message[];
  statuses?: Message[];
  errors?: Message[];
  contactName?: string;
}

export function change({ phoneNumberId, messages, statuses, errors, contactName }: ChangeSpec) {
  const senders = [...new Set((messages ?? []).map((message) => message.from as string))];
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
      ...(messages
        ? {
            contacts: senders.map((wa_id) => ({ profile: { name: contactName ?? 'Kerry Fisher' }, wa_id })),
            messages,
          }
        : {}),
      ...(statuses ? { statuses } : {}),
      ...(errors ? { errors } : {}),
    },
  };
}

export interface TemplateSpec {
  /** A JSON number, as Meta sends it. */
  id: number;
  name: string;
  language: string;
}

const templateFields = (template: TemplateSpec) => ({
  message_template_id: template.id,
  message_template_name: template.name,
  message_template_language: template.language,
});

/** Account-level changes: Meta sends them for the WABA in `entry.id`, without a phone number. */
export function templateStatusUpdate(
  event: string,
  template: TemplateSpec,
  extra: Record<string, unknown> = {},
) {
  return {
    field: 'message_template_status_update',
    value: {
      event,
      ...templateFields(template),
      reason: 'NONE',
      message_template_category: 'MARKETING',
      ...extra,
    },
  };
}

export function templateQualityUpdate(template: TemplateSpec, previous: string, next: string) {
  return {
    field: 'message_template_quality_update',
    value: { previous_quality_score: previous, new_quality_score: next, ...templateFields(template) },
  };
}

export function templateCategoryUpdate(template: TemplateSpec, previous: string, next: string) {
  return {
    field: 'template_category_update',
    value: { ...templateFields(template), previous_category: previous, new_category: next },
  };
}

interface WebhookEntry {
  wabaId?: string;
  /** Unix seconds; Meta sends it with account-level changes. */
  time?: number;
  changes: { field: string; value: Record<string, unknown> }[];
}

export function webhook(...entries: WebhookEntry[]) {
  return {
    object: 'whatsapp_business_account',
    entry: entries.map(({ wabaId, time, changes }) => ({
      id: wabaId ?? '102290129340398',
      ...(time === undefined ? {} : { time }),
      changes,
    })),
  };
}

/** Serialises like Meta does (non-ASCII escaped as \uXXXX), so the bytes differ from JSON.stringify's. */
export function metaJson(payload: unknown): string {
  return JSON.stringify(payload).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function sign(body: string | Buffer, secret = testAppSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function signedRequest(payload: unknown, secret = testAppSecret) {
  const body = metaJson(payload);
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secret) },
  };
}
