import {
  TelephonyError,
  providerCallStatuses,
  type PlaceCallRequest,
  type PlacedCall,
  type ProviderCallStatus,
  type TelephonyProvider,
} from '../telephony-provider.js';
import { networkTelephonyError, toTelephonyError, type TwilioErrorBody } from './twilio-errors.js';

export interface TwilioRestClientOptions {
  /** `https://api.twilio.com` (TWILIO_API_URL, or the tenant's `apiBaseUrl`); trailing slashes ignored. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Per REST request (10 s by default). */
  timeoutMs?: number;
  /** Per recording download (60 s by default). */
  downloadTimeoutMs?: number;
}

/** The status callback events Switchyard subscribes to, in Twilio's names. */
export const statusCallbackEvents = ['initiated', 'ringing', 'answered', 'completed'] as const;

const providerStatuses: ReadonlySet<string> = new Set<ProviderCallStatus>(providerCallStatuses);

/** What Twilio's Call resource says of a call (`GET …/Calls/{Sid}.json`). */
export interface TwilioCall {
  callSid: string;
  status: ProviderCallStatus;
  to: string | null;
  from: string | null;
  durationSeconds: number | null;
  answeredBy: string | null;
  price: string | null;
  priceUnit: string | null;
}

/**
 * Twilio's Voice REST API (2010-04-01), called with fetch exactly as Twilio documents it (the
 * SDK's client cannot take a per-tenant base URL): form-encoded bodies, HTTP basic auth with
 * the account SID and auth token, JSON answers, Twilio's error JSON mapped to TelephonyError.
 */
export class TwilioRestClient implements TelephonyProvider {
  readonly name = 'twilio';
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly downloadTimeoutMs: number;

  constructor(private readonly options: TwilioRestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? 60_000;
  }

  get accountSid(): string {
    return this.options.accountSid;
  }

  /**
   * `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`. A timeout is `unavailable`, but the call
   * may have been created all the same (Twilio has no idempotency key for calls): its callbacks
   * would then name a CallSid nobody recorded.
   */
  async placeCall(request: PlaceCallRequest): Promise<PlacedCall> {
    const form = new URLSearchParams();
    form.append('To', request.to);
    form.append('From', request.from);
    form.append('Url', request.answerUrl);
    form.append('Method', 'POST');
    form.append('StatusCallback', request.statusCallbackUrl);
    form.append('StatusCallbackMethod', 'POST');
    for (const event of statusCallbackEvents) form.append('StatusCallbackEvent', event);
    form.append('Timeout', String(request.timeoutSeconds));
    if (request.machineDetection) form.append('MachineDetection', 'Enable');
    const body = await this.request('POST', this.accountPath('/Calls.json'), form, 'placing a call');
    return { callSid: stringField(body, 'sid'), status: statusField(body) };
  }

  /**
   * Ends a call: `POST …/Calls/{Sid}.json` with `Status=completed`, which Twilio documents as
   * hanging up whatever the state (`canceled` would leave a call already answered alone). The
   * final status callback says how it ended: `canceled` while it rang, `completed` once answered.
   * A call already over (Twilio's 21220) counts as ended.
   */
  async endCall(callSid: string): Promise<void> {
    const form = new URLSearchParams({ Status: 'completed' });
    try {
      await this.request(
        'POST',
        this.accountPath(`/Calls/${encodeURIComponent(callSid)}.json`),
        form,
        'ending a call',
      );
    } catch (error) {
      if (error instanceof TelephonyError && error.providerCode === 21220) return;
      throw error;
    }
  }

  /** `GET …/Calls/{Sid}.json`: the call as Twilio knows it (to reconcile missed callbacks). */
  async fetchCall(callSid: string): Promise<TwilioCall> {
    const body = await this.request(
      'GET',
      this.accountPath(`/Calls/${encodeURIComponent(callSid)}.json`),
      null,
      'reading a call',
    );
    const optional = (field: string) => (typeof body[field] === 'string' ? (body[field] as string) : null);
    const duration = optional('duration');
    return {
      callSid: stringField(body, 'sid'),
      status: statusField(body),
      to: optional('to'),
      from: optional('from'),
      durationSeconds: duration && /^\d+$/.test(duration) ? Number(duration) : null,
      answeredBy: optional('answered_by'),
      price: optional('price'),
      priceUnit: optional('price_unit'),
    };
  }

  /**
   * The bytes of a recording from its `RecordingUrl`: `.mp3` is appended when the URL names no
   * format (Twilio's documented form; without one Twilio answers WAV). The credentials go only to
   * the configured base URL's origin or to Twilio's own hosts over HTTPS; any other URL is refused.
   */
  async downloadRecording(recordingUrl: string): Promise<{ body: Buffer; contentType: string }> {
    let url: URL;
    try {
      url = new URL(recordingUrl);
    } catch {
      throw new TelephonyError('rejected', 'The recording URL is not a URL');
    }
    const base = new URL(this.baseUrl);
    const twilioHost = url.protocol === 'https:' && /(^|\.)twilio\.com$/i.test(url.hostname);
    if (url.origin !== base.origin && !twilioHost) {
      throw new TelephonyError('rejected', `Refusing to send Twilio credentials to ${url.origin}`);
    }
    const lastSegment = url.pathname.split('/').pop() ?? '';
    if (!lastSegment.includes('.')) url.pathname = `${url.pathname}.mp3`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: this.authorization },
        signal: AbortSignal.timeout(this.downloadTimeoutMs),
      });
    } catch (error) {
      throw networkTelephonyError(error, 'downloading a recording');
    }
    if (!response.ok) throw await errorOf(response);
    try {
      const body = Buffer.from(await response.arrayBuffer());
      return { body, contentType: response.headers.get('content-type') ?? 'audio/mpeg' };
    } catch (error) {
      throw networkTelephonyError(error, 'downloading a recording');
    }
  }

  private accountPath(path: string): string {
    return `/2010-04-01/Accounts/${encodeURIComponent(this.options.accountSid)}${path}`;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    form: URLSearchParams | null,
    what: string,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? form.toString() : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw networkTelephonyError(error, what);
    }
    const json = parseJson(text);
    if (!response.ok)
      throw toTelephonyError(
        response.status,
        json as TwilioErrorBody | null,
        response.headers.get('retry-after'),
      );
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      throw new TelephonyError('unavailable', `Twilio answered ${what} with something other than JSON`);
    }
    return json as Record<string, unknown>;
  }
}

async function errorOf(response: Response): Promise<TelephonyError> {
  const text = await response.text().catch(() => '');
  return toTelephonyError(
    response.status,
    parseJson(text) as TwilioErrorBody | null,
    response.headers.get('retry-after'),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || !value) {
    throw new TelephonyError('unavailable', `Twilio's answer has no ${field}`);
  }
  return value;
}

function statusField(body: Record<string, unknown>): ProviderCallStatus {
  const status = body.status;
  return typeof status === 'string' && providerStatuses.has(status)
    ? (status as ProviderCallStatus)
    : 'queued';
}
