import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { runMiddleware, type NodeHandler } from './run-middleware.js';

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
