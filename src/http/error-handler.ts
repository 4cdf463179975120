import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { mapPostgresError } from '../db/postgres-errors.js';
import { AppError, fieldIssues } from './app-error.js';
import { failure } from './envelope.js';
import { retryAfterOf } from './error-catalogue.js';
import { sendJson } from './send-json.js';

/** Errors raised by body parsing (body-parser sets `type` and `status`). */
const bodyParserErrors: Record<string, () => AppError> = {
  'entity.parse.failed': () => new AppError('invalid_json', 'The request body is not valid JSON'),
  'entity.too.deep': () => new AppError('invalid_json', 'The request body nests too deeply'),
  'entity.too.large': () => new AppError('payload_too_large', 'The request body is too large'),
  'encoding.unsupported': () => new AppError('unsupported_media_type', 'Unsupported content encoding'),
  'charset.unsupported': () => new AppError('unsupported_media_type', 'Unsupported charset'),
  'request.aborted': () => new AppError('invalid_data', 'The request was aborted'),
};

/** Any thrown value as the AppError a client sees: the one mapping of AppError, zod, body-parser and Postgres errors. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // The router validates params, query and body itself and names the part; a ZodError that
  // escapes a handler is a service parsing (part of) the request body, e.g. a secret's fields.
  if (error instanceof ZodError) return AppError.invalidFields(fieldIssues('body', error));
  const bodyError = bodyParserErrors[(error as { type?: string } | null)?.type ?? ''];
  if (bodyError) return bodyError();
  // Express's router marks a path segment that is not valid percent-encoding (`%FF`) with 400.
  if (error instanceof URIError && (error as { status?: number }).status === 400) {
    return new AppError('invalid_data', 'A path segment is not valid percent-encoding');
  }
  const mapped = mapPostgresError(error);
  if (mapped instanceof AppError) return mapped;
  return new AppError('internal_error', 'Internal server error', { cause: error });
}

/**
 * A body parser whose failures are all the client's: a body it cannot read (bytes that do not
 * match their `Content-Encoding`, a broken stream) is a 4xx in the envelope, never a 500.
 * body-parser marks such failures 4xx but gives some (a zlib error) no `type` to map.
 */
export function clientBodyErrors(parser: RequestHandler): RequestHandler {
  return (req, res, next) =>
    parser(req, res, (error?: unknown) => next(error === undefined ? undefined : bodyReadError(error)));
}

function bodyReadError(error: unknown): unknown {
  const { type, status } = (error ?? {}) as { type?: string; status?: number };
  if (error instanceof AppError || (type && bodyParserErrors[type])) return error;
  if (status === 413) return new AppError('payload_too_large', 'The request body is too large');
  if (status === 415) return new AppError('unsupported_media_type', 'Unsupported content type or encoding');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(
      'invalid_data',
      'The request body could not be read (does it match its Content-Encoding?)',
    );
  }
  return error;
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
}

/**
 * A catastrophic error leaves the request as an uncaught exception, so the process-level
 * handler (app/process-signals.ts) stops the process the one way it stops on any fault.
 */
function raiseUncaught(error: unknown): void {
  setImmediate(() => {
    throw error;
  });
}

/** The one place errors become responses. Stack traces go to the log only, in every environment. */
export function errorHandler(options: {
  logger: Logger;
  onCatastrophic?: (error: unknown) => void;
}): ErrorRequestHandler {
  const onCatastrophic = options.onCatastrophic ?? raiseUncaught;
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      options.logger[appError.isCatastrophic ? 'fatal' : 'error'](
        { err: error, requestId: req.id },
        'request failed',
      );
    }
    if (!res.headersSent) {
      const retryAfter = retryAfterOf(appError.code);
      if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
      sendJson(res, appError.status, failure(appError.code, appError.message, appError.details));
    }
    if (appError.isCatastrophic) onCatastrophic(error);
  };
}
