import { describe, expect, it } from 'vitest';
import { TelephonyError } from './telephony-provider.js';
import { networkTelephonyError, retryAfterMs, toTelephonyError } from './twilio/twilio-errors.js';

const body = (code: number, status: number) => ({
  code,
  message: `message ${code}`,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

describe('Twilio errors → TelephonyError kinds', () => {
  it.each([
    [21211, 400, 'invalid_number'],
    [21214, 400, 'invalid_number'],
    [21215, 400, 'invalid_number'],
    [21216, 400, 'invalid_number'],
    [21217, 400, 'invalid_number'],
    [21219, 400, 'invalid_number'],
    [21401, 400, 'invalid_number'],
    [21421, 400, 'invalid_number'],
    [13223, 400, 'invalid_number'],
    [13224, 400, 'invalid_number'],
    [21210, 400, 'invalid_caller_id'],
    [21212, 400, 'invalid_caller_id'],
    [21213, 400, 'invalid_caller_id'],
    [20003, 401, 'unauthorized'],
    [20005, 403, 'unauthorized'],
    [20429, 429, 'rate_limited'],
    [20500, 500, 'unavailable'],
    [21205, 400, 'rejected'],
    [21626, 400, 'rejected'],
  ] as const)('code %i (HTTP %i) → %s', (code, status, kind) => {
    const error = toTelephonyError(status, body(code, status));
    expect(error).toBeInstanceOf(TelephonyError);
    expect(error.kind).toBe(kind);
    expect(error.providerCode).toBe(code);
    expect(error.message).toBe(`message ${code} (${code})`);
    expect(error.retryable).toBe(kind === 'rate_limited' || kind === 'unavailable');
  });

  it('falls back on the HTTP status without a Twilio body', () => {
    expect(toTelephonyError(401, null).kind).toBe('unauthorized');
    expect(toTelephonyError(429, null).kind).toBe('rate_limited');
    expect(toTelephonyError(502, null)).toMatchObject({ kind: 'unavailable', providerCode: null });
    expect(toTelephonyError(503, null).message).toBe('Twilio answered HTTP 503');
    expect(toTelephonyError(404, null).kind).toBe('rejected');
  });

  it('reads Retry-After (seconds or a date) for rate limits, 60 s without one', () => {
    expect(toTelephonyError(429, body(20429, 429), '7').retryAfterMs).toBe(7000);
    expect(toTelephonyError(429, body(20429, 429)).retryAfterMs).toBe(60_000);
    expect(toTelephonyError(429, null, 'soon').retryAfterMs).toBe(60_000);
    expect(toTelephonyError(400, body(21211, 400), '7').retryAfterMs).toBeNull();
    const now = new Date('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(null)).toBeNull();
  });

  it('a request without an answer is unavailable (retryable)', () => {
    const timeout = new Error('The operation was aborted due to timeout');
    timeout.name = 'TimeoutError';
    expect(networkTelephonyError(timeout, 'placing a call')).toMatchObject({
      kind: 'unavailable',
      message: 'Twilio did not answer placing a call in time',
    });
    expect(networkTelephonyError(new TypeError('fetch failed'), 'x').retryable).toBe(true);
  });
});
