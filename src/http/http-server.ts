import { createServer, type Server } from 'node:http';

export interface HttpServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The Node HTTP server with deliberate time limits: a client that trickles its headers or its
 * body is cut after `headersTimeoutMs` / `requestTimeoutMs` (Node's default lets a request take
 * 300 s), so slow connections cannot pile up. Node checks these limits on a timer, by default
 * every 30 s; checking every second keeps the cut close to the configured number.
 */
export function createHttpServer(limits: HttpServerLimits): Server {
  return createServer({
    // Idle keep-alive connections outlive a load balancer's (60 s), so it never reuses one we just closed.
    keepAliveTimeout: 65_000,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  });
}
