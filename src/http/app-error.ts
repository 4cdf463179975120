import { statusOf, type ErrorCode } from './error-catalogue.js';

export type { ErrorCode } from './error-catalogue.js';

/** One invalid field: `path` says where it was, `body.email`, `query.limit`, `params.id`, `body.actions.0.type`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Schema issues (zod's shape) as field issues under `location`: `body`, `query`, `params` or a path within one. */
export function fieldIssues(
  location: string,
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * The one error type the HTTP layer understands. `code` is machine-readable and stable, and
 * its status comes from the catalogue (error-catalogue.ts). A catastrophic error means the
 * process may be in a bad state: the error handler answers 500 and hands it to the process-level
 * handler, which stops the process. Everything else is an expected outcome.
 */
export class AppError extends Error {
  readonly status: number;
  readonly details: unknown;
  readonly isCatastrophic: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { details?: unknown; cause?: unknown; isCatastrophic?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = statusOf(code);
    this.details = options.details;
    this.isCatastrophic = options.isCatastrophic ?? false;
  }

  static notFound(what: string, details?: unknown): AppError {
    return new AppError('not_found', `${what} not found`, { details });
  }

  static invalidFields(issues: FieldIssue[], message = 'The request is not valid'): AppError {
    return new AppError('validation_failed', message, { details: issues });
  }
}
