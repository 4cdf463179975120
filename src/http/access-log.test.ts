import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiRouter } from './api-router.js';
import { createHttpApp } from './create-app.js';

interface Line {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
}

describe('accessLog', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve() {
    const lines: Line[] = [];
    const logged = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Line);
        done();
      },
    });
    let handlerReached!: () => void;
    const reached = new Promise<void>((resolve) => (handlerReached = resolve));
    const router = new ApiRouter('/t', new OpenAPIRegistry(), { tag: 'Test', security: 'none' });
    router.route({ method: 'get', path: '/ok', summary: 'answers', handler: async () => ({ fine: true }) });
    router.route({
      method: 'get',
      path: '/boom',
      summary: 'fails',
      handler: async () => {
        throw new Error('broken');
      },
    });
    router.route({
      method: 'get',
      path: '/slow',
      summary: 'answers after the client has gone',
      handler: ({ req }) => {
        handlerReached();
        return new Promise((resolve) => req.once('close', () => resolve({ late: true })));
      },
    });
    const listener = createHttpApp({
      logger: pino({ level: 'info' }, logged),
      corsOrigins: ['*'],
      bodyLimit: '1kb',
      trustProxy: false,
      jsonMaxDepth: 64,
      routers: [router],
    });
    const server = createServer(listener).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    close = () => server.close();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, lines, reached };
  }

  /** The access line of a request (the error handler writes its own lines too). */
  async function lineFor(lines: Line[], url: string): Promise<Line> {
    const find = () => lines.find((line) => line.req?.url === url && line.res);
    await expect.poll(find).toBeDefined();
    return find()!;
  }

  it('logs a completed request at info, a 5xx at error', async () => {
    const { base, lines } = await serve();
    const ok = await fetch(`${base}/t/ok`);
    await fetch(`${base}/t/boom`);
    expect(await lineFor(lines, '/t/ok')).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: ok.headers.get('x-request-id'), method: 'GET' },
      res: { statusCode: 200 },
    });
    expect(await lineFor(lines, '/t/boom')).toMatchObject({ level: 50, res: { statusCode: 500 } });
  });

  it('logs a request the client hung up on at warn, not as a server error', async () => {
    const { base, lines, reached } = await serve();
    const hungUp = request(`${base}/t/slow`);
    hungUp.on('error', () => {});
    hungUp.end();
    await reached;
    hungUp.destroy();
    expect(await lineFor(lines, '/t/slow')).toMatchObject({ level: 40, msg: 'request aborted' });
  });
});
