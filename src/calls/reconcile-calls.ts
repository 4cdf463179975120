import type { TenantHandle } from '../tenancy/connection-manager.js';
import { TelephonyError, type TelephonyChannel } from '../telephony/index.js';
import type { CallServices } from './call-services.js';
import { isFinal, openStatuses } from './call-state.js';
import { ownStatusEvent, recordStatusEvent } from './call-status.js';

const minute = 60_000;
/** An unanswered call that is still open this long after it was placed lost its callbacks. */
export const staleRingingMs = 10 * minute;
/** An answered one this long (Twilio ends calls at 4 hours by default). */
export const staleTalkingMs = 4 * 60 * minute;

/**
 * Calls whose callbacks stopped coming (a provider outage, our outage past the provider's
 * retries) would keep their salesperson "on a call" and their queue entry `dialing` for ever:
 * each one open past its stale age is asked of the provider and its answer merged like a
 * callback; one the provider never took (no sid) or no longer knows ends as `failed`. The
 * dialer runs this before each tick (a few rows of a partial index).
 */
export async function reconcileStaleCalls(
  services: CallServices,
  handle: TenantHandle,
  channel: TelephonyChannel,
  now: Date,
): Promise<number> {
  const stale = await handle.db
    .selectFrom('calls')
    .select(['id', 'provider_call_sid'])
    .where('status', 'in', [...openStatuses])
    .where('direction', '=', 'outbound')
    .where((eb) =>
      eb.or([
        eb.and([
          eb('answered_at', 'is', null),
          eb('queued_at', '<', new Date(now.getTime() - staleRingingMs)),
        ]),
        eb('queued_at', '<', new Date(now.getTime() - staleTalkingMs)),
      ]),
    )
    .limit(50)
    .execute();
  let settled = 0;
  for (const call of stale) {
    const failed = (errorCode: string, errorMessage: string) =>
      recordStatusEvent(
        services,
        handle,
        call.id,
        ownStatusEvent('failed', now, { errorCode, errorMessage }),
      );
    if (!call.provider_call_sid) {
      await failed('lost', 'The provider never confirmed the call');
      settled++;
      continue;
    }
    try {
      const snapshot = await channel.provider.fetchCall(call.provider_call_sid);
      if (!isFinal(snapshot.status)) continue;
      await recordStatusEvent(
        services,
        handle,
        call.id,
        ownStatusEvent(snapshot.status, now, {
          callSid: snapshot.callSid,
          durationSeconds: snapshot.durationSeconds,
          answeredBy: snapshot.answeredBy,
          price: snapshot.price,
          priceUnit: snapshot.priceUnit,
        }),
      );
      settled++;
    } catch (error) {
      if (!(error instanceof TelephonyError) || error.retryable) throw error;
      await failed(String(error.providerCode ?? error.kind), error.message);
      settled++;
    }
  }
  return settled;
}
