import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { mapPostgresError } from '../db/postgres-errors.js';
import { AppError } from './app-error.js';
import { failure } from './envelope.js';
import { sendJson } from './send-json.js';

/** Errors raised by body parsing (body-parser sets `type` and `status`). */
const bodyParserErrors: Record<string, () => AppError> = {
  'entity.parse.failed': () => new AppError('invalid_json', 'The request body is not valid JSON'),
  'entity.too.large': () => new AppError('payload_too_large', 'The request body is too large'),
  'encoding.unsupported': () => new AppError('unsupported_media_type', 'Unsupported content encoding'),
  'charset.unsupported': () => new AppError('unsupported_media_type', 'Unsupported charset'),
  'request.aborted': () => new AppError('invalid_data', 'The request was aborted', { status: 400 }),
};

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) {
    return new AppError('validation_failed', 'The request is not valid', {
      details: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  const bodyError = bodyParserErrors[(error as { type?: string } | null)?.type ?? ''];
  if (bodyError) return bodyError();
  const mapped = mapPostgresError(error);
  if (mapped instanceof AppError) return mapped;
  return new AppError('internal_error', 'Internal server error', { cause: error, isCatastrophic: false });
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
}

/** The one place errors become responses. Stack traces appear only in development. */
export function errorHandler(options: { logger: Logger; exposeStack: boolean }): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      options.logger[appError.isCatastrophic ? 'fatal' : 'error'](
        { err: error, requestId: req.id },
        'request failed',
      );
    }
    if (res.headersSent) return;
    const details =
      options.exposeStack && appError.status >= 500 && error instanceof Error
        ? { stack: error.stack }
        : appError.details;
    sendJson(res, appError.status, failure(appError.code, appError.message, details));
  };
}
