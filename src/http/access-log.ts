import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requestId } from './request-id.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** This request's id (`x-request-id`), set by the access log. */
    id: string;
  }
}

/**
 * Gives each request its id (echoed in `x-request-id`) and writes one line when the response
 * ends: info, error for a 5xx, warn for a response cut off before it ended (the client hung
 * up, or the server broke the socket). No child logger is built per request, so a level that
 * drops the line (LOG_LEVEL=warn) costs nothing beyond the id.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.id = requestId(req, res);
    const started = Date.now();
    res.once('close', () => {
      const completed = res.writableFinished;
      const level = res.statusCode >= 500 ? 'error' : completed ? 'info' : 'warn';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { id: req.id, method: req.method, url: req.originalUrl ?? req.url },
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - started,
        },
        completed ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
