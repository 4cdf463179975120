import type { CallStatusEvent, ProviderCallStatus } from '../telephony/index.js';
import type { CallOutcome, CallStatus } from './calls.tables.js';

/**
 * The call state machine: queued → initiated → ringing → in-progress → completed | busy |
 * no-answer | failed | canceled. Providers deliver status callbacks at least once and in any
 * order, so applying an event is a merge, not a step: the status only moves forward (by rank), a
 * final status is never undone, and every instant is the earliest one reported for its stage.
 * Merging is idempotent and does not depend on the order, so duplicated, late and reordered
 * callbacks converge to the same record (`call-state.test.ts` checks every permutation).
 */

export const finalStatuses = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export const openStatuses = ['queued', 'initiated', 'ringing', 'in-progress'] as const;

const rank: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  failed: 4,
  canceled: 4,
};

export const isFinal = (status: CallStatus): boolean => rank[status] === 4;

/** What the machine keeps of a call's leg (a subset of the `calls` row). */
export interface CallState {
  status: CallStatus;
  statusSequence: number;
  initiatedAt: Date | null;
  ringingAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  answeredBy: string | null;
  sipResponseCode: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  price: string | null;
  priceUnit: string | null;
}

const earliest = (current: Date | null, candidate: Date): Date =>
  current && current.getTime() <= candidate.getTime() ? current : candidate;

/** The stage instant an event of `status` reports. */
const instantField = (status: ProviderCallStatus) =>
  status === 'initiated'
    ? 'initiatedAt'
    : status === 'ringing'
      ? 'ringingAt'
      : status === 'in-progress'
        ? 'answeredAt'
        : isFinal(status)
          ? 'endedAt'
          : null;

/** `state` with `event` merged in (a new object; `state` is left as it was). */
export function mergeStatusEvent(state: CallState, event: CallStatusEvent): CallState {
  const next: CallState = { ...state };
  // Forward only; among finals the first one stays (a provider reports one final per call).
  if (!isFinal(state.status) && rank[event.status] > rank[state.status]) next.status = event.status;
  if (event.sequence !== null) next.statusSequence = Math.max(state.statusSequence, event.sequence);
  const field = instantField(event.status);
  if (field) next[field] = earliest(state[field], event.at);
  if (event.status === 'completed' && event.durationSeconds !== null) {
    next.talkSeconds = Math.max(state.talkSeconds ?? 0, event.durationSeconds);
    // A completed leg was answered: when the answered callback is lost, its instant follows from the talk time.
    // (The earliest of both, so the order the two arrive in does not matter.)
    next.answeredAt = earliest(next.answeredAt, new Date(event.at.getTime() - event.durationSeconds * 1000));
  }
  next.answeredBy ??= event.answeredBy;
  // A final callback's codes and price describe the call; earlier ones may carry provisional codes.
  if (isFinal(event.status)) {
    next.sipResponseCode ??= event.sipResponseCode;
    next.errorCode ??= event.errorCode;
    next.errorMessage ??= event.errorMessage;
    next.price ??= event.price;
    next.priceUnit ??= event.priceUnit;
  }
  return next;
}

/** Whether an answering machine, not a person, took the call (Twilio's `AnsweredBy`). */
export const answeredByMachine = (answeredBy: string | null): boolean =>
  answeredBy !== null && (answeredBy.startsWith('machine') || answeredBy === 'fax');

/**
 * What an ended call amounted to for the lead, from its final status: a person answered
 * (`answered`), it rang out, was refused or reached a machine (`missed_call`), the network says
 * the phone is unreachable (SIP 480, `switched_off`), or it never got through (`not_connected`).
 * Null while the call is open.
 */
export function outcomeOf(
  state: Pick<CallState, 'status' | 'answeredBy' | 'sipResponseCode'>,
): CallOutcome | null {
  // SIP 480 (temporarily unavailable): the network could not reach the phone, whichever final status says so.
  if (state.sipResponseCode === 480 && isFinal(state.status) && state.status !== 'completed')
    return 'switched_off';
  switch (state.status) {
    case 'completed':
      return answeredByMachine(state.answeredBy) ? 'missed_call' : 'answered';
    case 'busy':
    case 'no-answer':
      return 'missed_call';
    case 'failed':
    case 'canceled':
      return 'not_connected';
    default:
      return null;
  }
}

/** Seconds it rang before it was answered or gave up (null until both instants are known). */
export function ringSecondsOf(state: Pick<CallState, 'ringingAt' | 'answeredAt' | 'endedAt'>): number | null {
  const stop = state.answeredAt ?? state.endedAt;
  if (!state.ringingAt || !stop) return null;
  return Math.max(0, Math.round((stop.getTime() - state.ringingAt.getTime()) / 1000));
}
