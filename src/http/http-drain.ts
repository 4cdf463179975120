import type { Server, ServerResponse } from 'node:http';

/** How often, while draining, connections that have gone idle are closed. */
const idleSweepMs = 100;

/**
 * Follows the responses a server is writing, so that a stop can end every connection as soon as its
 * last answer is sent. Node's `server.close()` closes only the connections idle at that moment: one
 * whose request was in flight would otherwise stay open for its keep-alive time after answering,
 * holding the stop (and a client would reuse a connection about to go).
 */
export function drainableHttpServer(server: Server) {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    // A request that arrives on a kept-alive connection during the drain is answered, and told so.
    if (draining) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  /** Stops accepting, lets in-flight requests finish, and cuts what is left after `timeoutMs`. */
  const close = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      draining = true;
      // Answers not yet started say `Connection: close`; Node then ends their connection once sent.
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
      const timer = setTimeout(() => {
        clearInterval(sweep);
        server.closeAllConnections();
        resolve();
      }, timeoutMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(timer);
        resolve();
      });
    });

  return { close };
}
