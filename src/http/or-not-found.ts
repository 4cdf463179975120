import { AppError } from './app-error.js';

/**
 * The value a repository found, or a 404 naming what was looked for: repositories answer
 * `undefined` for an absent row, the HTTP layer decides that it is a `not_found`.
 */
export function orNotFound<T>(value: T | undefined, what: string, details?: unknown): T {
  if (value === undefined) throw AppError.notFound(what, details);
  return value;
}
