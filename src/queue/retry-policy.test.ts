import { describe, expect, it } from 'vitest';
import { PermanentJobError, RetryLaterError } from './job-types.js';
import { defaultRetryPolicy, failureOutcome, JobTimeoutError, retryDelayMs } from './retry-policy.js';

describe('retry policy', () => {
  it('doubles the delay per attempt, with jitter over the upper half, up to the cap', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, defaultRetryPolicy, low))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, defaultRetryPolicy, high))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(retryDelayMs(30, defaultRetryPolicy, high)).toBe(3_600_000);
    expect(retryDelayMs(30, defaultRetryPolicy, low)).toBe(1_800_000);
  });

  it('decides between retry and dead', () => {
    const policy = { baseMs: 1000, capMs: 60_000 };
    expect(failureOutcome(new Error('x'), 1, 3, policy)).toMatchObject({
      status: 'failed',
      code: 'handler_error',
    });
    expect(failureOutcome(new Error('x'), 3, 3, policy)).toMatchObject({ status: 'dead', error: 'x' });
    expect(failureOutcome(new PermanentJobError('no', 'bad_input'), 1, 3, policy)).toEqual({
      status: 'dead',
      error: 'no',
      code: 'bad_input',
    });
    expect(failureOutcome(new RetryLaterError('later', 42_000), 1, 3, policy)).toEqual({
      status: 'failed',
      error: 'later',
      code: 'retry_later',
      delayMs: 42_000,
    });
    expect(failureOutcome(new JobTimeoutError(10), 1, 3, policy)).toMatchObject({
      status: 'failed',
      code: 'timeout',
    });
    expect(failureOutcome('a string', 1, 1, policy)).toEqual({
      status: 'dead',
      error: 'a string',
      code: 'handler_error',
    });
  });
});
