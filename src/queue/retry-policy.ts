import { PermanentJobError, RetryLaterError } from './job-types.js';

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseMs: 1000, capMs: 3_600_000 };

/** Thrown into a run whose timeout elapsed (its signal is aborted too). */
export class JobTimeoutError extends Error {
  readonly code = 'timeout';
  constructor(timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

/**
 * Exponential backoff with "equal jitter": half of the exponential delay is kept, the other
 * half is random, so retries of jobs that failed together spread out without collapsing to 0.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

export type FailureOutcome =
  | { status: 'dead'; error: string; code: string }
  | { status: 'failed'; error: string; code: string; delayMs: number };

/** Whether a run that threw `error` was the job's last: it goes to `dead`, not back to the queue. */
export function isFinalFailure(error: unknown, job: { attempt: number; maxAttempts: number }): boolean {
  return error instanceof PermanentJobError || job.attempt >= job.maxAttempts;
}

/** What becomes of a job whose attempt `attempt` (1-based) of `maxAttempts` threw `error`. */
export function failureOutcome(
  error: unknown,
  attempt: number,
  maxAttempts: number,
  policy: RetryPolicy,
): FailureOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : error instanceof RetryLaterError
        ? 'retry_later'
        : 'handler_error';
  if (isFinalFailure(error, { attempt, maxAttempts })) return { status: 'dead', error: message, code };
  const delayMs = error instanceof RetryLaterError ? error.delayMs : retryDelayMs(attempt, policy);
  return { status: 'failed', error: message, code, delayMs };
}
