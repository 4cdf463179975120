import { AppError } from '../../http/app-error.js';
import { PermanentJobError } from '../../queue/job-types.js';

/** The tenant lacks the channel's secret: retrying cannot help until someone configures it. */
export function channelNotConfigured(channel: string): PermanentJobError {
  return new PermanentJobError(
    `The ${channel} channel is not configured for this tenant`,
    'channel_not_configured',
  );
}

/**
 * A channel use case refused the request (a client error such as a closed 24-hour window or
 * an unapproved template): permanent, with the channel's code. Anything else is retried.
 */
export function asJobError(error: unknown): unknown {
  if (error instanceof AppError && error.status < 500)
    return new PermanentJobError(error.message, error.code);
  return error;
}
