import type { Selectable } from 'kysely';
import type { Call } from './call.schemas.js';
import type { CallsTable } from './calls.tables.js';

export type CallRow = Selectable<CallsTable>;

/** `CALL-00001`: the number zero-padded to 5 digits (more digits past 99999). */
export const callRef = (number: string | number) => `CALL-${String(number).padStart(5, '0')}`;

export function toCall(row: CallRow): Call {
  return {
    id: row.id,
    ref: callRef(row.number),
    leadId: row.lead_id,
    agentId: row.agent_id,
    direction: row.direction,
    mode: row.mode,
    campaign: row.campaign,
    queueEntryId: row.queue_entry_id,
    fromNumber: row.from_number,
    toNumber: row.to_number,
    agentNumber: row.agent_number,
    status: row.status,
    outcome: row.outcome,
    abandoned: row.abandoned,
    answeredBy: row.answered_by,
    attempt: row.attempt,
    queuedAt: row.queued_at,
    startedAt: row.initiated_at,
    ringingAt: row.ringing_at,
    answeredAt: row.answered_at,
    bridgedAt: row.bridged_at,
    endedAt: row.ended_at,
    ringSeconds: row.ring_seconds,
    talkSeconds: row.talk_seconds,
    providerCallSid: row.provider_call_sid,
    recording: row.recording_sid
      ? { seconds: row.recording_seconds, stored: row.recording_key !== null }
      : null,
    cost: row.price !== null && row.price_unit ? { amount: row.price, currency: row.price_unit } : null,
    error: row.error_code || row.error_message ? { code: row.error_code, message: row.error_message } : null,
    disposition: row.disposition,
    dispositionReason: row.disposition_reason,
    dispositionAt: row.disposition_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
