import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { drainableHttpServer } from './http-drain.js';

/** A GET through `agent`; resolves with the status, the Connection header and the body. */
function get(port: number, agent: Agent, path: string) {
  return new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('draining the HTTP server at a stop', () => {
  it('answers the requests in flight with Connection: close and ends once they are answered, not after the keep-alive time', async () => {
    // Answers /slow only when told; /fast at once.
    const waiting: ServerResponse[] = [];
    const server = createServer({ keepAliveTimeout: 600_000 });
    const http = drainableHttpServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/slow') waiting.push(res);
      else res.end('fast');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    try {
      // One kept-alive connection idle when the stop comes, one with a request in flight.
      expect(await get(port, agent, '/fast')).toMatchObject({ status: 200, connection: 'keep-alive' });
      const slow = get(port, agent, '/slow');
      await expect.poll(() => waiting.length).toBe(1);

      const closed = http.close(600_000);
      waiting[0]!.end('slow');
      expect(await slow).toMatchObject({ status: 200, connection: 'close', body: 'slow' });
      // Failing here is the test's own timeout: the old drain waited out the keep-alive time.
      await closed;
      expect(server.listening).toBe(false);
    } finally {
      agent.destroy();
      server.closeAllConnections();
    }
  });
});
