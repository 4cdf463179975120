import { TelephonyError, type TelephonyErrorKind } from '../telephony-provider.js';

/** Twilio's error body (`{ code, message, more_info, status }`), as far as it could be read. */
export interface TwilioErrorBody {
  code?: number | null;
  message?: string | null;
  more_info?: string | null;
  status?: number | null;
}

/** Codes that say the number called cannot be called (by this account). */
const invalidNumberCodes = new Set([
  21201, // No 'To' number is specified
  21211, // Invalid 'To' phone number
  21214, // 'To' phone number cannot be reached
  21215, // Geo permissions do not allow calling this number
  21216, // Account not allowed to call this number (blocked, premium)
  21217, // Phone number does not appear to be valid
  21219, // 'To' phone number not verified (trial accounts call verified numbers only)
  21401, // Invalid phone number
  21421, // PhoneNumber is invalid
  13223, // Dial: invalid phone number format
  13224, // Dial: invalid phone number
  13225, // Dial: forbidden phone number
  13227, // Dial: no international authorization
]);

/** Codes that say the caller id (`From`) is not one the account may call from. */
const invalidCallerIdCodes = new Set([
  21210, // 'From' phone number not verified
  21212, // Invalid 'From' phone number
  21213, // 'From' phone number is required
  13214, // Dial: invalid callerId value
]);

/** Codes that say the account's credentials were refused. */
const unauthorizedCodes = new Set([
  20003, // Authentication error
  20005, // Account not active
  20006, // Access denied
]);

const defaultRetryAfterMs = 60_000;

/** Reads a `Retry-After` header (seconds or an HTTP date) in milliseconds; null when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: Date = new Date()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/** The kind of a Twilio refusal, by its error code first, then by the HTTP status. */
export function twilioErrorKind(httpStatus: number, code: number | null): TelephonyErrorKind {
  if (code !== null) {
    if (invalidNumberCodes.has(code)) return 'invalid_number';
    if (invalidCallerIdCodes.has(code)) return 'invalid_caller_id';
    if (unauthorizedCodes.has(code)) return 'unauthorized';
    if (code === 20429) return 'rate_limited';
  }
  if (httpStatus === 401 || httpStatus === 403) return 'unauthorized';
  if (httpStatus === 429) return 'rate_limited';
  if (httpStatus >= 500) return 'unavailable';
  return 'rejected';
}

/**
 * A Twilio error answer as a TelephonyError: the kind by Twilio's code (else the HTTP status),
 * Twilio's code and message, and for `rate_limited` the wait from `Retry-After` (60 s without one).
 */
export function toTelephonyError(
  httpStatus: number,
  body: TwilioErrorBody | null,
  retryAfterHeader?: string | null,
): TelephonyError {
  const code = typeof body?.code === 'number' && Number.isInteger(body.code) ? body.code : null;
  const kind = twilioErrorKind(httpStatus, code);
  const message = (typeof body?.message === 'string' && body.message) || `Twilio answered HTTP ${httpStatus}`;
  const wait = kind === 'rate_limited' ? (retryAfterMs(retryAfterHeader) ?? defaultRetryAfterMs) : null;
  return new TelephonyError(kind, `${message}${code !== null ? ` (${code})` : ''}`, code, wait);
}

/** A request that never got an answer (refused connection, DNS, timeout): try again later. */
export function networkTelephonyError(error: unknown, what: string): TelephonyError {
  const cause = error instanceof Error ? error : new Error(String(error));
  const timedOut = cause.name === 'TimeoutError' || cause.name === 'AbortError';
  const error_ = new TelephonyError(
    'unavailable',
    timedOut
      ? `Twilio did not answer ${what} in time`
      : `Twilio could not be reached (${what}): ${cause.message}`,
  );
  (error_ as Error).cause = cause;
  return error_;
}
