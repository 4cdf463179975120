import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiRouter } from './api-router.js';
import { AppError } from './app-error.js';
import { createHttpApp } from './create-app.js';
import { errorHandler } from './error-handler.js';

describe('error handler', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(logged: { write(line: string): void } = { write: () => undefined }) {
    const router = new ApiRouter('/t', new OpenAPIRegistry(), { tag: 'Test', security: 'none' });
    router.route({
      method: 'get',
      path: '/boom',
      summary: 'fails',
      handler: async () => {
        throw new Error('database password is hunter2');
      },
    });
    router.route({
      method: 'post',
      path: '/echo/:name',
      summary: 'echoes',
      params: z.object({ name: z.string() }),
      body: z.object({ a: z.number() }),
      handler: async ({ params, body }) => ({ ...params, ...body }),
    });
    router.route({
      method: 'post',
      path: '/raw',
      summary: 'raw bytes, served without Express',
      rawBody: '1kb',
      hot: true,
      handler: async ({ req }) => ({ bytes: (req.body as Buffer).length }),
    });
    const listener = createHttpApp({
      logger: pino({ level: 'error' }, logged),
      corsOrigins: ['*'],
      bodyLimit: '1kb',
      trustProxy: false,
      jsonMaxDepth: 64,
      routers: [router],
    });
    const server = createServer(listener).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    close = () => server.close();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('hides internals of a 500', async () => {
    const base = await serve();
    const res = await fetch(`${base}/t/boom`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      success: false,
      message: 'Internal server error',
      error: { code: 'internal_error' },
    });
    expect(body).not.toContain('hunter2');
  });

  it('answers a body that does not match its Content-Encoding with 400 invalid_data, on JSON and raw routes', async () => {
    const base = await serve();
    for (const path of ['/t/echo/x', '/t/raw']) {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body: '{"a":1}',
        });
        expect(res.status, `${path} ${encoding}`).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_data');
      }
    }
    const fine = await fetch(`${base}/t/echo/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(fine.status).toBe(201);
  });

  it('answers a path segment that is not valid percent-encoding with 400 invalid_data', async () => {
    const base = await serve();
    for (const segment of ['%FF', '%C0%80', '%E0%A4%A']) {
      const res = await fetch(`${base}/t/echo/${segment}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(res.status, segment).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_data');
    }
  });

  it('keeps the stack in the log only, in every environment', async () => {
    const lines: string[] = [];
    const base = await serve({ write: (line) => void lines.push(line) });
    const body = await (await fetch(`${base}/t/boom`)).text();
    expect(body).not.toContain('stack');
    expect(body).not.toContain('error-handler.test');
    expect(lines.join('')).toContain('error-handler.test');
  });
});

describe('error mapping', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(handler: () => never, onCatastrophic?: (error: unknown) => void) {
    const app = express();
    app.get('/fail', handler);
    app.use(errorHandler({ logger: pino({ level: 'silent' }), onCatastrophic }));
    const server = createServer(app).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    close = () => server.close();
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/fail`);
    return { status: res.status, body: (await res.json()) as { error: { code: string; details?: unknown } } };
  }

  it('names the fields of a request body a service parsed as body.x, as the router names its own', async () => {
    const res = await serve(
      () => z.object({ host: z.string(), port: z.number() }).parse({ port: 'x' }) as never,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect((res.body.error.details as { path: string }[]).map((issue) => issue.path).sort()).toEqual([
      'body.host',
      'body.port',
    ]);
  });

  it('answers a catastrophic error with a 500 and hands it to the process-level handler', async () => {
    const raised: unknown[] = [];
    const broken = new AppError('internal_error', 'The pool is poisoned', { isCatastrophic: true });
    const res = await serve(
      () => {
        throw broken;
      },
      (error) => raised.push(error),
    );
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(raised).toEqual([broken]);

    const ordinary = await serve(
      () => {
        throw new Error('an ordinary failure');
      },
      (error) => raised.push(error),
    );
    expect(ordinary.status).toBe(500);
    expect(raised).toEqual([broken]);
  });
});
