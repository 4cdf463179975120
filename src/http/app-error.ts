export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_data: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus | (string & {});

/**
 * The one error type the HTTP layer understands. `code` is machine-readable and stable;
 * `status` defaults from the code. Catastrophic errors mean the process may be in a bad
 * state (logged at fatal), everything else is an expected outcome.
 */
export class AppError extends Error {
  readonly status: number;
  readonly details: unknown;
  readonly isCatastrophic: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown; isCatastrophic?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status =
      options.status ?? (errorStatus as Record<string, number>)[code] ?? errorStatus.internal_error;
    this.details = options.details;
    this.isCatastrophic = options.isCatastrophic ?? false;
  }

  static notFound(what: string, details?: unknown): AppError {
    return new AppError('not_found', `${what} not found`, { details });
  }
}
