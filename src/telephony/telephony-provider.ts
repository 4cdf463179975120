/**
 * What Switchyard needs of a telephony provider, whatever it is (Twilio today; a SIP trunk or
 * Telnyx's Twilio-compatible API later): place a call, change or end it, fetch a recording, and
 * read the provider's callbacks into provider-neutral call events. Callers never see a
 * provider's wire format.
 */

/** The states of a call's leg, in Twilio's names (the provider-neutral ones). */
export const providerCallStatuses = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type ProviderCallStatus = (typeof providerCallStatuses)[number];

export interface PlaceCallRequest {
  /** E.164. */
  to: string;
  /** E.164: one of the tenant's caller ids. */
  from: string;
  /** Called when the callee answers; answers with the call's instructions (TwiML). */
  answerUrl: string;
  /** Receives every status change (initiated, ringing, answered, completed). */
  statusCallbackUrl: string;
  /** Seconds to let it ring before giving up (`no-answer`). */
  timeoutSeconds: number;
  /** Ask the provider to tell a human from an answering machine (`answeredBy`). */
  machineDetection?: boolean;
}

export interface PlacedCall {
  /** The provider's id of the call (Twilio's CallSid). */
  callSid: string;
  status: ProviderCallStatus;
}

/** One status callback, read into what the call state machine needs. */
export interface CallStatusEvent {
  callSid: string;
  status: ProviderCallStatus;
  /** The provider's order of this call's callbacks (Twilio's SequenceNumber), when it sends one. */
  sequence: number | null;
  /** When the provider says it happened (Twilio's Timestamp), else when it arrived. */
  at: Date;
  /** Talk time in seconds, on the final callback. */
  durationSeconds: number | null;
  answeredBy: string | null;
  sipResponseCode: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  price: string | null;
  priceUnit: string | null;
}

export type TelephonyErrorKind =
  /** The number called cannot be called (not a number, not reachable by this account). */
  | 'invalid_number'
  /** The caller id is not one the account may call from. */
  | 'invalid_caller_id'
  /** Too many requests: try again after `retryAfterMs`. */
  | 'rate_limited'
  /** The account's credentials were refused. */
  | 'unauthorized'
  /** The provider could not be reached or failed (5xx): try again later. */
  | 'unavailable'
  /** Anything else the provider refused. */
  | 'rejected';

/** A provider's refusal, by kind, with the provider's own code and message. */
export class TelephonyError extends Error {
  constructor(
    readonly kind: TelephonyErrorKind,
    message: string,
    readonly providerCode: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'TelephonyError';
  }

  /** Whether trying the same request later may succeed. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}

/** What the provider says of a call now (for calls whose callbacks stopped coming). */
export interface ProviderCallSnapshot {
  callSid: string;
  status: ProviderCallStatus;
  durationSeconds: number | null;
  answeredBy: string | null;
  price: string | null;
  priceUnit: string | null;
}

export interface TelephonyProvider {
  readonly name: string;
  /** The call as the provider knows it now. */
  fetchCall(callSid: string): Promise<ProviderCallSnapshot>;
  placeCall(request: PlaceCallRequest): Promise<PlacedCall>;
  /** Ends a call: `canceled` while it rings, `completed` once answered. */
  endCall(callSid: string): Promise<void>;
  /** The bytes of a recording the provider reported (its URL from the recording callback). */
  downloadRecording(recordingUrl: string): Promise<{ body: Buffer; contentType: string }>;
}
