import type { IncomingMessage } from 'node:http';

/** A request header as one string (Node joins repeated ones); undefined when absent. */
export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
