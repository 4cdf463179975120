import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { accessLog } from './access-log.js';
import type { ApiRouter } from './api-router.js';
import { errorHandler, notFoundHandler } from './error-handler.js';

export interface HttpOptions {
  logger: Logger;
  corsOrigins: string[];
  bodyLimit: string;
  trustProxy: boolean;
  exposeStack: boolean;
  /** Mounted before the JSON parser (e.g. routes that need the raw body). */
  rawRoutes?: { path: string; handler: RequestHandler }[];
  routers: ApiRouter[];
  extra?: { path: string; handler: RequestHandler | RequestHandler[] }[];
}

/** The Express application: security headers, CORS, request ids, access log, JSON, routes, errors. */
export function createHttpApp(options: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.use(accessLog(options.logger));
  app.use(helmet());
  app.use(cors({ origin: options.corsOrigins.includes('*') ? true : options.corsOrigins }));
  for (const raw of options.rawRoutes ?? []) app.use(raw.path, raw.handler);
  app.use(express.json({ limit: options.bodyLimit }));
  for (const router of options.routers) app.use(router.base || '/', router.express);
  for (const extra of options.extra ?? []) app.use(extra.path, extra.handler);
  app.use(notFoundHandler());
  app.use(errorHandler({ logger: options.logger, exposeStack: options.exposeStack }));
  return app;
}
