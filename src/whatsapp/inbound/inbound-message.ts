/** A message object of `value.messages[]` as Meta sends it (only the fields we read are typed). */
export interface InboundMessage {
  id: string;
  from: string;
  timestamp: string;
  type: string;
  [field: string]: unknown;
}

export interface MediaReference {
  id: string;
  mimeType: string | null;
  sha256: string | null;
  filename: string | null;
}

export interface DescribedMessage {
  type: string;
  /** A readable text for lists and previews. */
  body: string | null;
  media: MediaReference | null;
}

const mediaTypes = new Set(['image', 'document', 'audio', 'video', 'sticker']);

type Fields = Record<string, any>;

/** Reads the type-specific part of an inbound message into what the inbox shows. */
export function describeInbound(message: InboundMessage): DescribedMessage {
  const part = (message[message.type] ?? {}) as Fields;
  if (mediaTypes.has(message.type)) {
    const type = message.type === 'audio' && part.voice === true ? 'voice' : message.type;
    return {
      type,
      body: (part.caption as string | undefined) ?? (part.filename as string | undefined) ?? null,
      media: {
        id: String(part.id),
        mimeType: (part.mime_type as string | undefined) ?? null,
        sha256: (part.sha256 as string | undefined) ?? null,
        filename: (part.filename as string | undefined) ?? null,
      },
    };
  }
  return { type: message.type, body: textOf(message.type, part, message), media: null };
}

function textOf(type: string, part: Fields, message: InboundMessage): string | null {
  switch (type) {
    case 'text':
      return (part.body as string | undefined) ?? null;
    case 'location':
      return [part.name, part.address, `${part.latitude},${part.longitude}`].filter(Boolean).join(' · ');
    case 'contacts':
      return ((message.contacts ?? []) as Fields[])
        .map((contact) => contact.name?.formatted_name as string | undefined)
        .filter(Boolean)
        .join(', ');
    case 'interactive': {
      const reply = (part.button_reply ?? part.list_reply ?? part.nfm_reply) as Fields | undefined;
      return (reply?.title as string | undefined) ?? (reply?.body as string | undefined) ?? null;
    }
    case 'button':
      return (part.text as string | undefined) ?? (part.payload as string | undefined) ?? null;
    case 'reaction':
      return (part.emoji as string | undefined) ?? '';
    default:
      return null;
  }
}
