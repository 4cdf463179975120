import cors from 'cors';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import { accessLog } from './access-log.js';
import type { ApiRouter } from './api-router.js';
import { clientBodyErrors, errorHandler, notFoundHandler } from './error-handler.js';
import { refuseDeepJson } from './json-depth.js';
import { runMiddleware, type NodeHandler } from './run-middleware.js';

export interface HttpOptions {
  logger: Logger;
  corsOrigins: string[];
  bodyLimit: string;
  trustProxy: boolean;
  /** Objects and arrays nested deeper than this are refused with 400 before parsing. */
  jsonMaxDepth: number;
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
  const json = clientBodyErrors(
    express.json({ limit: options.bodyLimit, verify: refuseDeepJson(options.jsonMaxDepth) }),
  );
  const onError = errorHandler({ logger: options.logger });
  const hot = new HotRoutes((error, req, res) =>
    onError(error, req as express.Request, res as express.Response, () => undefined),
  );

  for (const handler of prelude) app.use(handler);
  for (const route of options.routers.flatMap((router) => router.mounted)) {
    // A raw-body route's parser runs before the JSON one, which then leaves the body alone.
    const parser = route.rawBody
      ? clientBodyErrors(express.raw({ type: () => true, limit: route.rawBody }))
      : json;
    if (route.rawBody) app[route.method](route.path, parser);
    if (route.hot) {
      const handlers = [...prelude, ...route.middleware, parser, route.handler];
      hot.add(route.method, route.path, handlers as NodeHandler[]);
    }
  }
  // A family's middleware (authentication first) runs before its body is read.
  for (const router of options.routers)
    if (router.middleware.length > 0) app.use(router.base || '/', ...router.middleware, json);
  app.use(json);
  for (const router of options.routers) app.use(router.base || '/', router.express);
  for (const extra of options.extra ?? []) app.use(extra.path, extra.handler);
  app.use(notFoundHandler());
  app.use(onError);

  return (req: IncomingMessage, res: ServerResponse) => {
    if (!hot.dispatch(req, res)) app(req, res);
  };
}

interface HotRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  handlers: readonly NodeHandler[];
}

type ErrorResponder = (error: unknown, req: IncomingMessage, res: ServerResponse) => void;

/**
 * The routes client systems and Meta call at volume (lead ingest, trigger events, WhatsApp
 * deliveries), served straight from Node's request event. Express's router, its request and
 * response prototypes and `res.json` cost about half of an ingest's server CPU (ARCHITECTURE.md,
 * "Hot routes"). A hot route runs the same handlers in the same order as under Express, with
 * the path's params and the query parsed as Express does; every other request goes to Express.
 */
export class HotRoutes {
  private readonly routes: HotRoute[] = [];

  constructor(private readonly onError: ErrorResponder) {}

  /** `path` in Express syntax with `:name` params only (matched case-insensitively, a trailing slash allowed). */
  add(method: string, path: string, handlers: readonly NodeHandler[]): void {
    const names: string[] = [];
    const source = path.replace(/[.*+?^${}()|[\]\\]|:(\w+)/g, (token, name?: string) => {
      if (!name) return `\\${token}`;
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${source}/?$`, 'i'),
      names,
      handlers,
    });
  }

  /** Serves the request if a hot route matches it; answers whether one did. */
  dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      const params: Record<string, string> = {};
      try {
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1]!)));
      } catch {
        return false; // a malformed escape: Express answers it
      }
      Object.assign(req, { params, query: queryAt === -1 ? {} : parseQuery(url.slice(queryAt + 1)) });
      runMiddleware(route.handlers, req, res, (error) => {
        if (error !== undefined) this.onError(error, req, res);
      });
      return true;
    }
    return false;
  }
}
