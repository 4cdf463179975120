import { PermanentJobError, RetryLaterError } from '../queue/job-types.js';
import { GraphApiError } from './graph-api-client.js';

/** Error codes of the Cloud API that decide what a job does next. */
export const graphErrorCodes = {
  throughputExceeded: 130429,
  pairRateLimit: 131056,
  reEngagement: 131047,
  undeliverable: 131026,
  invalidToken: 190,
} as const;

const maxBackoffMs = 5 * 60_000;

/** Exponential backoff for rate limits: 2 s, 4 s, 8 s... capped at 5 minutes. */
export function rateLimitBackoffMs(attempt: number): number {
  return Math.min(maxBackoffMs, 2000 * 2 ** Math.max(0, attempt - 1));
}

/** True when the error means the tenant's access token no longer works. */
export function isInvalidTokenError(error: unknown): boolean {
  return error instanceof GraphApiError && error.code === graphErrorCodes.invalidToken;
}

/**
 * What a job should do with a Graph API failure: retry later (rate limits), give up
 * (permanent errors), or rethrow for the queue's normal retry (server errors, network).
 */
export function toJobError(error: unknown, attempt: number): Error {
  if (!(error instanceof GraphApiError)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case graphErrorCodes.throughputExceeded:
    case graphErrorCodes.pairRateLimit:
      return new RetryLaterError(
        `WhatsApp rate limit (${error.code}): ${error.message}`,
        rateLimitBackoffMs(attempt),
      );
    case graphErrorCodes.reEngagement:
      return new PermanentJobError(
        'Template required: more than 24 hours since the customer last wrote',
        'template_required',
      );
    case graphErrorCodes.undeliverable:
      return new PermanentJobError('Message undeliverable to this recipient', 'undeliverable');
    case graphErrorCodes.invalidToken:
      return new PermanentJobError(`WhatsApp access token rejected: ${error.message}`, 'channel_unhealthy');
  }
  if (error.status >= 500 || error.status === 429) return error;
  return new PermanentJobError(
    `WhatsApp API error ${error.code ?? error.status}: ${error.message}`,
    'provider_rejected',
  );
}
