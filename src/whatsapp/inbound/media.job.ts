import { createHash } from 'node:crypto';
import type { AppServices } from '../../app/services.js';
import type { JobContext, JobKind, JobPayloads } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { safeFileName, tenantKey } from '../../storage/object-store.js';
import { GraphApiError } from '../graph-api-client.js';
import { toJobError } from '../graph-errors.js';
import { requireWhatsAppChannel } from '../whatsapp-config.js';

export const downloadMediaJobKind = 'whatsapp.download_media' as const satisfies JobKind;

/** Media URLs live 5 minutes: an expired one (404) is replaced by a fresh one this many times. */
const urlAttempts = 3;

/**
 * Fetches an inbound message's media from Meta into our storage, checks it against the
 * sha256 the webhook announced, and records the object key.
 */
export async function downloadMedia(
  ctx: JobContext<
    JobPayloads['whatsapp.download_media'],
    Pick<AppServices, 'secrets' | 'config' | 'storage'>
  >,
): Promise<{ key: string }> {
  const { db, tenant } = ctx.handle;
  const message = await db
    .selectFrom('messages')
    .select(['id', 'media_id', 'media_mime_type', 'media_sha256', 'media_key', 'content', 'type'])
    .where('id', '=', ctx.job.payload.messageId)
    .executeTakeFirst();
  if (!message?.media_id) throw new PermanentJobError('No media message with this id', 'not_found');
  if (message.media_key) return { key: message.media_key };

  const { client } = await requireWhatsAppChannel(ctx.services, tenant.id);
  let body: Buffer | undefined;
  let mimeType = message.media_mime_type;
  try {
    for (let attempt = 1; !body; attempt++) {
      const info = await client.getMedia(message.media_id);
      mimeType ??= info.mime_type;
      try {
        body = await client.download(info.url);
      } catch (error) {
        const expired = error instanceof GraphApiError && error.status === 404;
        if (!expired || attempt >= urlAttempts) throw error;
        ctx.logger.info({ messageId: message.id, attempt }, 'media URL expired, fetching a new one');
      }
    }
  } catch (error) {
    throw toJobError(error, ctx.job.attempt);
  }

  if (message.media_sha256 && !sha256Matches(body, message.media_sha256)) {
    throw new Error('Downloaded media does not match the sha256 announced by the webhook');
  }
  const key = tenantKey(tenant.clientCode, 'whatsapp', message.id, fileNameOf(message, mimeType));
  await ctx.services.storage.put(key, body, mimeType ?? 'application/octet-stream');
  await db
    .updateTable('messages')
    .set({ media_key: key, media_mime_type: mimeType, updated_at: new Date() })
    .where('id', '=', message.id)
    .execute();
  return { key };
}

/** Meta documents the hash as hex in some places and base64 in others: accept both. */
function sha256Matches(body: Buffer, expected: string): boolean {
  const digest = createHash('sha256').update(body).digest();
  return expected.toLowerCase() === digest.toString('hex') || expected === digest.toString('base64');
}

function fileNameOf(
  message: { type: string; content: Record<string, unknown> },
  mimeType: string | null,
): string {
  const part = message.content[message.type === 'voice' ? 'audio' : message.type] as
    { filename?: string } | undefined;
  if (part?.filename) return safeFileName(part.filename);
  const extension = mimeType?.split('/')[1]?.split(';')[0]?.trim();
  return safeFileName(`${message.type}${extension ? `.${extension}` : ''}`);
}
