import { z } from 'zod';
import {
  providerCallStatuses,
  type CallStatusEvent,
  type ProviderCallStatus,
} from '../telephony-provider.js';
import type { TwilioParams } from './twilio-signature.js';

/** A Twilio callback whose parameters are not what Twilio documents (answer 400, change nothing). */
export class InvalidTwilioCallbackError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'InvalidTwilioCallbackError';
  }
}

const callStatuses = providerCallStatuses;

/** Dial's outcome for the dialled leg (`DialCallStatus`). */
export type DialCallStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type RecordingStatus = 'in-progress' | 'completed' | 'absent' | 'failed';

const text = z.string().max(2000);
const optionalText = text.optional();
const sid = z.string().min(1).max(64);
const unsigned = z
  .string()
  .regex(/^\d{1,10}$/, 'must be a whole number')
  .optional();

/** One value per name: Twilio never repeats a parameter; a body parser may hand over an array. */
function single(params: TwilioParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[name] = value[0];
  }
  return out;
}

function parse<T extends z.ZodType>(schema: T, params: TwilioParams, what: string): z.infer<T> {
  const result = schema.safeParse(single(params));
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    }));
    throw new InvalidTwilioCallbackError(
      `Invalid Twilio ${what}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}

const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
const intOrNull = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));

/** Twilio's RFC 2822 `Timestamp` ("Tue, 31 Aug 2010 20:36:28 +0000"), else when it arrived. */
function timestampOr(value: string | undefined, receivedAt: Date): Date {
  if (!value) return receivedAt;
  const at = Date.parse(value);
  return Number.isNaN(at) ? receivedAt : new Date(at);
}

const statusCallbackSchema = z.looseObject({
  CallSid: sid,
  CallStatus: z.enum(callStatuses),
  AccountSid: optionalText,
  SequenceNumber: unsigned,
  Timestamp: optionalText,
  CallDuration: unsigned,
  AnsweredBy: optionalText,
  SipResponseCode: unsigned,
  ErrorCode: optionalText,
  ErrorMessage: optionalText,
  Price: optionalText,
  PriceUnit: optionalText,
});

/** The account a callback names (`AccountSid`), to check it against the tenant's. */
export function callbackAccountSid(params: TwilioParams): string | null {
  return orNull(single(params).AccountSid);
}

/** A status callback (`StatusCallback`) read into a CallStatusEvent. Throws InvalidTwilioCallbackError. */
export function parseCallStatusCallback(params: TwilioParams, receivedAt: Date): CallStatusEvent {
  const p = parse(statusCallbackSchema, params, 'status callback');
  return {
    callSid: p.CallSid,
    status: p.CallStatus,
    sequence: intOrNull(p.SequenceNumber),
    at: timestampOr(p.Timestamp, receivedAt),
    durationSeconds: intOrNull(p.CallDuration),
    answeredBy: orNull(p.AnsweredBy),
    sipResponseCode: intOrNull(p.SipResponseCode),
    errorCode: orNull(p.ErrorCode),
    errorMessage: orNull(p.ErrorMessage),
    price: orNull(p.Price),
    priceUnit: orNull(p.PriceUnit),
  };
}

/** The request Twilio makes to a call's `Url` (the answer webhook) or to a `<Redirect>`. */
export interface VoiceRequest {
  callSid: string;
  accountSid: string | null;
  from: string | null;
  to: string | null;
  callStatus: ProviderCallStatus;
  direction: string | null;
  /** With machine detection: `human`, `machine_start`, `machine_end_beep`, `fax`, `unknown`… */
  answeredBy: string | null;
}

const voiceRequestSchema = z.looseObject({
  CallSid: sid,
  CallStatus: z.enum(callStatuses),
  AccountSid: optionalText,
  From: optionalText,
  To: optionalText,
  Direction: optionalText,
  AnsweredBy: optionalText,
});

export function parseVoiceRequest(params: TwilioParams): VoiceRequest {
  const p = parse(voiceRequestSchema, params, 'voice request');
  return {
    callSid: p.CallSid,
    accountSid: orNull(p.AccountSid),
    from: orNull(p.From),
    to: orNull(p.To),
    callStatus: p.CallStatus,
    direction: orNull(p.Direction),
    answeredBy: orNull(p.AnsweredBy),
  };
}

/** `<Dial action>`: what became of the dialled leg (the salesperson's or, for click-to-call, the lead's). */
export interface DialActionCallback {
  /** The call that ran the `<Dial>` (the parent). */
  callSid: string;
  callStatus: ProviderCallStatus;
  /** The dialled leg; absent when Twilio never created one. */
  dialCallSid: string | null;
  dialCallStatus: DialCallStatus;
  /** Seconds the dialled leg was connected. */
  dialCallDurationSeconds: number | null;
  /** With `record` on the Dial. */
  recordingUrl: string | null;
  recordingSid: string | null;
}

const dialActionSchema = z.looseObject({
  CallSid: sid,
  CallStatus: z.enum(callStatuses),
  DialCallSid: optionalText,
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']),
  DialCallDuration: unsigned,
  RecordingUrl: optionalText,
  RecordingSid: optionalText,
});

export function parseDialActionCallback(params: TwilioParams): DialActionCallback {
  const p = parse(dialActionSchema, params, 'dial action callback');
  return {
    callSid: p.CallSid,
    callStatus: p.CallStatus,
    dialCallSid: orNull(p.DialCallSid),
    dialCallStatus: p.DialCallStatus,
    dialCallDurationSeconds: intOrNull(p.DialCallDuration),
    recordingUrl: orNull(p.RecordingUrl),
    recordingSid: orNull(p.RecordingSid),
  };
}

/** `recordingStatusCallback`: a recording is ready (or failed). */
export interface RecordingStatusCallback {
  callSid: string;
  recordingSid: string;
  /** Without a format: download it with `downloadRecording`, which asks for `.mp3`. */
  recordingUrl: string | null;
  status: RecordingStatus;
  durationSeconds: number | null;
  channels: number | null;
  source: string | null;
  startedAt: Date | null;
  errorCode: string | null;
}

const recordingSchema = z.looseObject({
  CallSid: sid,
  RecordingSid: sid,
  RecordingUrl: optionalText,
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed']),
  RecordingDuration: unsigned,
  RecordingChannels: unsigned,
  RecordingSource: optionalText,
  RecordingStartTime: optionalText,
  ErrorCode: optionalText,
});

export function parseRecordingStatusCallback(params: TwilioParams): RecordingStatusCallback {
  const p = parse(recordingSchema, params, 'recording status callback');
  const started = p.RecordingStartTime ? Date.parse(p.RecordingStartTime) : Number.NaN;
  return {
    callSid: p.CallSid,
    recordingSid: p.RecordingSid,
    recordingUrl: orNull(p.RecordingUrl),
    status: p.RecordingStatus,
    durationSeconds: intOrNull(p.RecordingDuration),
    channels: intOrNull(p.RecordingChannels),
    source: orNull(p.RecordingSource),
    startedAt: Number.isNaN(started) ? null : new Date(started),
    errorCode: orNull(p.ErrorCode === '0' ? undefined : p.ErrorCode),
  };
}
