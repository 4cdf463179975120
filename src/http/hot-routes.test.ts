import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotRoutes } from './create-app.js';
import type { NodeHandler } from './run-middleware.js';
import { sendJson } from './send-json.js';

type Seen = IncomingMessage & { params?: Record<string, string>; query?: Record<string, unknown> };

describe('HotRoutes', () => {
  let base: string;
  let close: () => void;
  const errors: unknown[] = [];
  const echo: NodeHandler = (req, res) => {
    const { params, query } = req as Seen;
    sendJson(res, 200, { params, query });
  };
  const steps: string[] = [];
  const step =
    (name: string): NodeHandler =>
    (_req, _res, next) => {
      steps.push(name);
      next();
    };

  beforeAll(async () => {
    const hot = new HotRoutes((error, _req, res: ServerResponse) => {
      errors.push(error);
      sendJson(res, 418, { error: (error as Error).message });
    });
    hot.add('post', '/api/things/:id/parts/:part', [step('first'), step('second'), echo]);
    hot.add('post', '/api/sync-throw', [
      () => {
        throw new Error('thrown');
      },
    ]);
    hot.add('post', '/api/async-reject', [async () => Promise.reject(new Error('rejected'))]);
    hot.add('post', '/api/next-error', [(_req, _res, next) => next(new Error('passed on')), echo]);
    const server = createServer((req, res) => {
      if (!hot.dispatch(req, res)) sendJson(res, 299, { fallback: `${req.method} ${req.url}` });
    }).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  const post = async (path: string, method = 'POST') => {
    const res = await fetch(base + path, { method });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('runs the handlers in order with decoded params and the parsed query', async () => {
    steps.length = 0;
    const res = await post('/api/things/a%20b/parts/7?x=1&x=2&y=z');
    expect(res).toEqual({
      status: 200,
      body: { params: { id: 'a b', part: '7' }, query: { x: ['1', '2'], y: 'z' } },
    });
    expect(steps).toEqual(['first', 'second']);
  });

  it('matches as Express does: any case, one trailing slash', async () => {
    expect((await post('/API/Things/1/parts/2/')).status).toBe(200);
  });

  it('leaves everything else to the next listener', async () => {
    expect((await post('/api/things/1/parts/2', 'PUT')).body).toEqual({
      fallback: 'PUT /api/things/1/parts/2',
    });
    expect((await post('/api/things/1/parts')).status).toBe(299);
    expect((await post('/api/things/1/parts/2/extra')).status).toBe(299);
    // A malformed escape is Express's to answer (400), not a crash here.
    expect((await post('/api/things/%E0%A4%A/parts/2')).status).toBe(299);
  });

  it('turns a throw, a rejection and next(error) into one error answer each', async () => {
    errors.length = 0;
    expect(await post('/api/sync-throw')).toEqual({ status: 418, body: { error: 'thrown' } });
    expect(await post('/api/async-reject')).toEqual({ status: 418, body: { error: 'rejected' } });
    expect(await post('/api/next-error')).toEqual({ status: 418, body: { error: 'passed on' } });
    expect(errors).toHaveLength(3);
  });
});
