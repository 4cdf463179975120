import type { ServerResponse } from 'node:http';

/**
 * Writes a JSON answer in one piece. No ETag: API answers change with every write and hashing
 * each body cost more than a client ever saved with it.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
