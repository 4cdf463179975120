import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import type { RecordingStatusCallback } from '../../telephony/index.js';
import type { CallServices } from '../call-services.js';

/**
 * The provider finished a recording of the call: remember it and fetch it into the tenant's
 * object storage by a job (`calls.fetch_recording`), queued in the same unit. A repeated
 * callback finds the recording known and queues nothing (one job per recording sid).
 */
export async function recordRecording(
  services: CallServices,
  handle: TenantHandle,
  callId: string,
  recording: RecordingStatusCallback,
): Promise<void> {
  if (recording.status !== 'completed' || !recording.recordingUrl) return;
  await inTenantTransaction(services, handle, async (unit) => {
    const updated = await unit.trx
      .updateTable('calls')
      .set({
        recording_sid: recording.recordingSid,
        recording_seconds: recording.durationSeconds,
        updated_at: new Date(),
      })
      .where('id', '=', callId)
      .where((eb) =>
        eb.or([eb('recording_sid', 'is', null), eb('recording_sid', '=', recording.recordingSid)]),
      )
      .where('recording_key', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!updated) return;
    await unit.enqueue({
      tenantId: handle.tenant.id,
      kind: 'calls.fetch_recording',
      payload: { callId, recordingSid: recording.recordingSid, recordingUrl: recording.recordingUrl! },
      options: { idempotencyKey: `recording:${recording.recordingSid}` },
    });
  });
}
