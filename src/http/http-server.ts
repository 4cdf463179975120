import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { failure } from './envelope.js';
import { errorCatalogue, type ErrorCode } from './error-catalogue.js';

export interface HttpServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The Node HTTP server with deliberate time limits: a client that trickles its headers or its
 * body is cut after `headersTimeoutMs` / `requestTimeoutMs` (Node's default lets a request take
 * 300 s), so slow connections cannot pile up. Node checks these limits on a timer, by default
 * every 30 s; checking every second keeps the cut close to the configured number. What Node
 * refuses before Express sees a request (a timeout, headers too large, bytes that are not HTTP)
 * is answered with the API's error envelope too (`answerClientError`), not Node's bare status line.
 */
export function createHttpServer(limits: HttpServerLimits): Server {
  const server = createServer({
    // Idle keep-alive connections outlive a load balancer's (60 s), so it never reuses one we just closed.
    keepAliveTimeout: 65_000,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  });
  server.on('clientError', answerClientError);
  return server;
}

/** Node's error codes for a request it cannot take, and the API's code for each. */
const clientErrorCodes: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
  HPE_HEADER_OVERFLOW: 'headers_too_large',
};

const clientErrorMessages: Partial<Record<ErrorCode, string>> = {
  request_timeout: 'The request did not arrive in full within the time limit',
  headers_too_large: 'The request headers are too large',
  invalid_data: 'The request is not valid HTTP',
};

/**
 * Answers as Node does by default (the same condition, then the socket destroyed with the error, so
 * a request still being read fails as it always did), only with the API's envelope: while no
 * response on this connection has sent its headers, and not on a reset connection.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex & { _httpMessage?: { headersSent?: boolean } | null },
) {
  if (error.code !== 'ECONNRESET' && socket.writable && !socket._httpMessage?.headersSent) {
    const code = clientErrorCodes[error.code ?? ''] ?? 'invalid_data';
    const { status } = errorCatalogue[code];
    const body = JSON.stringify(failure(code, clientErrorMessages[code]!));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
