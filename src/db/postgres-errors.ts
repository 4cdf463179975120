import { AppError } from '../http/app-error.js';

interface PostgresErrorFields {
  code?: string;
  constraint?: string;
  detail?: string;
  column?: string;
}

/**
 * Thrown when the pool cannot hand out a connection (refused, not accepting connections,
 * too many clients, authentication, the pool's connect timeout): whatever Postgres said,
 * the statement never reached the database.
 */
export class DatabaseConnectError extends Error {
  constructor(cause: unknown) {
    super(`Could not connect to the database: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DatabaseConnectError';
  }
}

/** SQLSTATEs and socket errors that mean the server or the connection went away, not the statement. */
const connectionLostCodes = new Set([
  '57P01', // admin_shutdown: terminated by pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** What pg throws, without a code, when the socket of a connection in use closes. */
const connectionLostMessages = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
];

/** True when a failure means the database is unreachable (outage, restart, failover), not a bad statement. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof DatabaseConnectError) return true;
    const code = (current as PostgresErrorFields).code;
    if (code && (connectionLostCodes.has(code) || code.startsWith('08'))) return true;
    if (
      connectionLostMessages.some(
        (message) => current instanceof Error && current.message.startsWith(message),
      )
    )
      return true;
    current = current.cause;
  }
  return false;
}

/** Postgres errors, mapped once to typed application errors: client-caused ones and outages. Others pass through. */
export function mapPostgresError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError('database_unavailable', 'The database is not reachable right now; retry shortly', {
      cause: error,
    });
  }
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
