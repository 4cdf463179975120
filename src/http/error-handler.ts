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
  const mapped = mapPostgresError(error);
  if (mapped instanceof AppError) return mapped;
  return new AppError('internal_error', 'Internal server error', { cause: error });
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
