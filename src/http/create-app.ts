import cors from 'cors';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { accessLog } from './access-log.js';
import type { ApiRouter } from './api-router.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { HotRoutes } from './hot-routes.js';
import type { NodeHandler } from './run-middleware.js';

export interface HttpOptions {
  logger: Logger;
  corsOrigins: string[];
  bodyLimit: string;
  trustProxy: boolean;
  exposeStack: boolean;
  routers: ApiRouter[];
  extra?: { path: string; handler: RequestHandler | RequestHandler[] }[];
}

/**
 * The HTTP request listener: security headers, CORS, request ids, access log, body parsing,
 * routes, errors. Hot routes (`HotRoutes`) run the same handlers without Express; every other
 * request goes through the Express application.
 */
export function createHttpApp(options: HttpOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);
  const prelude: RequestHandler[] = [
    accessLog(options.logger),
    helmet(),
    cors({ origin: options.corsOrigins.includes('*') ? true : options.corsOrigins }),
  ];
  const json = express.json({ limit: options.bodyLimit });
  const onError = errorHandler({ logger: options.logger, exposeStack: options.exposeStack });
  const hot = new HotRoutes((error, req, res) =>
    onError(error, req as express.Request, res as express.Response, () => undefined),
  );

  for (const handler of prelude) app.use(handler);
  for (const route of options.routers.flatMap((router) => router.mounted)) {
    // A raw-body route's parser runs before the JSON one, which then leaves the body alone.
    const parser = route.rawBody ? express.raw({ type: () => true, limit: route.rawBody }) : json;
    if (route.rawBody) app[route.method](route.path, parser);
    if (route.hot)
      hot.add(route.method, route.path, [...prelude, parser, ...route.handlers] as NodeHandler[]);
  }
  app.use(json);
  for (const router of options.routers) app.use(router.base || '/', router.express);
  for (const extra of options.extra ?? []) app.use(extra.path, extra.handler);
  app.use(notFoundHandler());
  app.use(onError);

  return (req: IncomingMessage, res: ServerResponse) => {
    if (!hot.dispatch(req, res)) app(req, res);
  };
}
