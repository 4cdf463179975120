import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiRouter } from './api-router.js';
import { createHttpApp } from './create-app.js';

describe('error handler', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(exposeStack: boolean) {
    const router = new ApiRouter('/t', new OpenAPIRegistry(), { tag: 'Test', security: 'none' });
    router.route({
      method: 'get',
      path: '/boom',
      summary: 'fails',
      handler: async () => {
        throw new Error('database password is hunter2');
      },
    });
    const listener = createHttpApp({
      logger: pino({ level: 'silent' }),
      corsOrigins: ['*'],
      bodyLimit: '1kb',
      trustProxy: false,
      exposeStack,
      routers: [router],
    });
    const server = createServer(listener).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    close = () => server.close();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('hides internals of a 500 outside development', async () => {
    const base = await serve(false);
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

  it('shows the stack in development', async () => {
    const base = await serve(true);
    const body = (await (await fetch(`${base}/t/boom`)).json()) as { error: { details: { stack: string } } };
    expect(body.error.details.stack).toContain('database password');
  });
});
