import { AppError } from '../http/app-error.js';

interface PostgresErrorFields {
  code?: string;
  constraint?: string;
  detail?: string;
  column?: string;
}

/** Client-caused Postgres errors, mapped once to typed application errors. Others pass through. */
export function mapPostgresError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof AppError) return error;
  const { code, constraint, column } = error as PostgresErrorFields;
  const details = constraint ? { constraint } : column ? { column } : undefined;
  switch (code) {
    case '23505':
      return new AppError('conflict', 'A record with the same unique value already exists', {
        details,
        cause: error,
      });
    case '23503':
      return new AppError('conflict', 'The record refers to, or is referred to by, another record', {
        details,
        cause: error,
      });
    case '23514':
    case '23502':
    case '22P02':
    case '22P05':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
      return new AppError('invalid_data', 'A value is not valid for its field', {
        details,
        cause: error,
      });
    default:
      return error;
  }
}
