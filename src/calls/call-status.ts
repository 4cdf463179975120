import { sql } from 'kysely';
import { recordActivity } from '../activity/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { openSignalWithin } from '../signals/index.js';
import { announce } from '../tenancy/record-hooks.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import type { CallStatusEvent } from '../telephony/index.js';
import { callRef, type CallRow } from './call.mapper.js';
import { lockCall } from './call.repository.js';
import {
  answeredByMachine,
  isFinal,
  mergeStatusEvent,
  outcomeOf,
  ringSecondsOf,
  type CallState,
} from './call-state.js';
import { emitCall, type CallEventName } from './call-realtime.js';
import { endOfCallForAgent } from './agent-wrap-up.js';
import type { CallServices } from './call-services.js';
import type { CallOutcome } from './calls.tables.js';

/** Announced once per call, in the unit that ends it (the dialer moves its queue entry on). */
export interface CallEnded {
  tenantId: string;
  call: CallRow;
}

declare module '../tenancy/record-hooks.js' {
  interface RecordHooks {
    'calls.ended': CallEnded;
  }
}

/** A status event as the state machine takes it; our own (a refused placement) has no provider id. */
export type StatusEvent = Omit<CallStatusEvent, 'callSid'> & { callSid: string | null };

/** A status event of our own making (a refused placement, a call's end we learn otherwise): only what is known. */
export function ownStatusEvent(
  status: StatusEvent['status'],
  at: Date,
  known: Partial<Omit<StatusEvent, 'status' | 'at'>> = {},
): StatusEvent {
  return {
    callSid: null,
    sequence: null,
    durationSeconds: null,
    answeredBy: null,
    sipResponseCode: null,
    errorCode: null,
    errorMessage: null,
    price: null,
    priceUnit: null,
    ...known,
    status,
    at,
  };
}

const stateOf = (row: CallRow): CallState => ({
  status: row.status,
  statusSequence: row.status_sequence,
  initiatedAt: row.initiated_at,
  ringingAt: row.ringing_at,
  answeredAt: row.answered_at,
  endedAt: row.ended_at,
  talkSeconds: row.talk_seconds,
  answeredBy: row.answered_by,
  sipResponseCode: row.sip_response_code,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  price: row.price,
  priceUnit: row.price_unit,
});

const counterOf: Record<
  CallOutcome,
  'calls_answered' | 'calls_missed' | 'calls_not_connected' | 'calls_switched_off'
> = {
  answered: 'calls_answered',
  missed_call: 'calls_missed',
  not_connected: 'calls_not_connected',
  switched_off: 'calls_switched_off',
};

/**
 * Merges one status event into the call (`call-state.ts`) in a unit of work holding the call's
 * lock, then does what the change means, each exactly once however often and in whatever order
 * the events come: `call.ringing` / `call.answered` when that instant is first known, and when
 * the outcome is first known (the call ended) the lead's counters and last contact, a timeline
 * entry, the agent's wrap-up, `call.ended` and the `calls.ended` hook (the dialer). Answers the
 * call as it is now, or undefined for an unknown call.
 */
export async function recordStatusEvent(
  services: CallServices,
  handle: TenantHandle,
  callId: string,
  event: StatusEvent,
): Promise<CallRow | undefined> {
  return inTenantTransaction(services, handle, async (unit) => {
    const row = await lockCall(unit.trx, callId);
    if (!row) return undefined;
    return applyStatus(unit, services, handle, row, event);
  });
}

export async function applyStatus(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  row: CallRow,
  event: StatusEvent,
): Promise<CallRow> {
  const next = mergeStatusEvent(stateOf(row), { ...event, callSid: event.callSid ?? '' });
  const updated = await unit.trx
    .updateTable('calls')
    .set({
      status: next.status,
      status_sequence: next.statusSequence,
      provider_call_sid: row.provider_call_sid ?? event.callSid,
      initiated_at: next.initiatedAt,
      ringing_at: next.ringingAt,
      answered_at: next.answeredAt,
      ended_at: next.endedAt,
      talk_seconds: next.talkSeconds,
      ring_seconds: ringSecondsOf(next),
      answered_by: next.answeredBy,
      sip_response_code: next.sipResponseCode,
      error_code: next.errorCode,
      error_message: next.errorMessage,
      price: next.price,
      price_unit: next.priceUnit,
      updated_at: new Date(),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const emit = (name: CallEventName) =>
    unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, name, updated));
  if (!row.ringing_at && updated.ringing_at && !isFinal(updated.status)) emit('call.ringing');
  if (
    !row.answered_at &&
    updated.answered_at &&
    updated.mode === 'dialer' &&
    !answeredByMachine(updated.answered_by)
  ) {
    emit('call.answered');
  }
  if (updated.status !== row.status) await setLeadCallStatus(unit.trx, updated);
  return settleOutcome(unit, services, handle, updated);
}

/** What a click-to-call's dial to the lead amounted to (Twilio's DialCallStatus). */
const dialOutcome = (dialStatus: string): CallOutcome =>
  dialStatus === 'completed' || dialStatus === 'answered'
    ? 'answered'
    : dialStatus === 'busy' || dialStatus === 'no-answer'
      ? 'missed_call'
      : 'not_connected';

/**
 * The call's outcome once it can be known, else null. A click-to-call's first leg is the
 * salesperson's: the lead's answer is the result of the dial that follows, so the outcome
 * waits for both the end of the call and that result (they may arrive in either order). An
 * inbound call is answered by whoever its dial reached, or missed.
 */
export function outcomeOfCall(row: CallRow): CallOutcome | null {
  if (row.mode === 'inbound') {
    if (!isFinal(row.status)) return null;
    return row.bridge_status === null ? 'missed_call' : dialOutcome(row.bridge_status);
  }
  if (row.mode !== 'click_to_call') {
    return outcomeOf({
      status: row.status,
      answeredBy: row.answered_by,
      sipResponseCode: row.sip_response_code,
    });
  }
  if (!isFinal(row.status)) return null;
  if (!row.answered_at) return 'not_connected';
  return row.bridge_status === null ? null : dialOutcome(row.bridge_status);
}

/** Sets the outcome the first time it is known, and does what the end of a call means (once). */
export async function settleOutcome(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  row: CallRow,
): Promise<CallRow> {
  if (row.outcome) return row;
  const outcome = outcomeOfCall(row);
  if (!outcome) return row;
  const ended = await unit.trx
    .updateTable('calls')
    .set({ outcome, updated_at: new Date() })
    .where('id', '=', row.id)
    .where('outcome', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (ended) await endCall(unit, services, handle, ended, outcome);
  return ended ?? row;
}

/** The lead shows the state of its latest call only (an older call's late callback leaves it). */
async function setLeadCallStatus(trx: TenantDb, call: CallRow): Promise<void> {
  if (!call.lead_id) return;
  await trx
    .updateTable('leads')
    .set({ call_status: call.status })
    .where('id', '=', call.lead_id)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('calls')
            .select('calls.id')
            .where('calls.lead_id', '=', call.lead_id)
            .where('calls.queued_at', '>', call.queued_at),
        ),
      ),
    )
    .execute();
}

async function endCall(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  call: CallRow,
  outcome: CallOutcome,
): Promise<void> {
  if (call.lead_id) {
    const counter = counterOf[outcome];
    // The moment someone spoke with the lead: the bridge of a click-to-call, the answer otherwise.
    const contacted =
      outcome !== 'answered' ? null : call.mode === 'click_to_call' ? call.bridged_at : call.answered_at;
    // Refused by the provider (failed before it had an id): it never rang, as the daily cap reads it.
    const refused = call.status === 'failed' && call.provider_call_sid === null;
    await unit.trx
      .updateTable('leads')
      .set((eb) => ({
        [counter]: eb(counter, '+', 1),
        ...(refused ? { call_attempts: sql<number>`greatest(call_attempts - 1, 0)` } : {}),
        ...(contacted
          ? { last_contact_at: sql<Date>`greatest(coalesce(last_contact_at, ${contacted}), ${contacted})` }
          : {}),
      }))
      .where('id', '=', call.lead_id)
      .execute();
    await recordActivity(unit.trx, [
      {
        leadId: call.lead_id,
        kind: 'call',
        actor: null,
        data: {
          callId: call.id,
          ref: callRef(call.number),
          direction: call.direction,
          mode: call.mode,
          outcome,
          abandoned: call.abandoned,
          agentId: call.agent_id,
          talkSeconds: call.talk_seconds,
          endedAt: call.ended_at,
        },
      },
    ]);
  }
  if (call.direction === 'inbound' && outcome === 'missed_call' && call.lead_id) {
    await openSignalWithin(
      unit,
      services,
      handle,
      {
        type: 'call',
        leadId: call.lead_id,
        content: `Missed call from ${call.from_number}`,
        at: call.ended_at ?? call.queued_at,
        source: { kind: 'call', id: call.id },
      },
      { ownerRequired: true },
    );
  }
  await endOfCallForAgent(unit, services, handle, call);
  unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, 'call.ended', call));
  await announce(unit.trx, 'calls.ended', { tenantId: handle.tenant.id, call });
}
