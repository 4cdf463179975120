import type { AppServices } from '../../app/services.js';
import {
  PermanentJobError,
  RetryLaterError,
  type JobContext,
  type JobPayloads,
} from '../../queue/job-types.js';
import { tenantKey } from '../../storage/object-store.js';
import { requireTelephonyForJob, TelephonyError } from '../../telephony/index.js';

type FetchContext = JobContext<
  JobPayloads['calls.fetch_recording'],
  Pick<AppServices, 'secrets' | 'config' | 'storage' | 'logger'>
>;

/**
 * Downloads a call's recording from the provider into the tenant's object storage (like
 * WhatsApp media) and records its key; `GET /calls/{id}/recording` then serves it by signed URL.
 */
export async function fetchRecording(ctx: FetchContext): Promise<{ key: string }> {
  const { db, tenant } = ctx.handle;
  const { callId, recordingSid, recordingUrl } = ctx.job.payload;
  const call = await db
    .selectFrom('calls')
    .select(['id', 'recording_key', 'recording_sid'])
    .where('id', '=', callId)
    .executeTakeFirst();
  if (!call) throw new PermanentJobError('No such call', 'not_found');
  if (call.recording_key) return { key: call.recording_key };
  const { provider } = await requireTelephonyForJob(ctx.services, ctx.handle);
  let recording: { body: Buffer; contentType: string };
  try {
    recording = await provider.downloadRecording(recordingUrl);
  } catch (error) {
    if (error instanceof TelephonyError && error.retryable) {
      throw new RetryLaterError(error.message, error.retryAfterMs ?? 60_000);
    }
    if (error instanceof TelephonyError) throw new PermanentJobError(error.message, error.kind);
    throw error;
  }
  const extension = recording.contentType.includes('wav') ? 'wav' : 'mp3';
  const key = tenantKey(tenant.clientCode, 'calls', callId, `${recordingSid}.${extension}`);
  await ctx.services.storage.put(key, recording.body, recording.contentType);
  await db
    .updateTable('calls')
    .set({ recording_key: key, updated_at: new Date() })
    .where('id', '=', callId)
    .execute();
  return { key };
}
