import { sql } from 'kysely';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/**
 * Opens a raw connection, writes `head`, then one byte of `trickled` every `everyMs`. Resolves once
 * the server closed it with what the server wrote and whether the sender had finished; a sender
 * that finished without being cut closes the connection itself (`finished: true`).
 */
function trickle(
  baseUrl: string,
  head: string,
  trickled: string,
  everyMs: number,
): Promise<{ answer: string; sent: number; finished: boolean }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let answer = '';
    let sent = 0;
    let finished = false;
    const socket: Socket = connect(Number(port), hostname, () => {
      socket.write(head);
      const timer = setInterval(() => {
        if (socket.destroyed) return;
        if (sent < trickled.length) socket.write(trickled[sent++]!);
        else {
          finished = true;
          socket.destroy();
        }
      }, everyMs);
      socket.once('close', () => {
        clearInterval(timer);
        resolve({ answer, sent, finished });
      });
    });
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => undefined);
  });
}

/** Writes `request` on a raw connection and resolves with all the server wrote before it closed. */
function exchange(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let answer = '';
    const socket: Socket = connect(Number(port), hostname, () => socket.write(request));
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(answer));
  });
}

/** The JSON body of a raw HTTP answer. */
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('abuse limits', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({
      NODE_ENV: 'development',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_JSON_MAX_DEPTH: '64',
    });
    tenant = await t.createTenant('abuse', { defaultCountry: 'US' });
  });
  afterAll(() => t?.close());

  it('refuses JSON nested beyond the limit with 400 invalid_json, on Express and hot routes', async () => {
    const platform = await t.request('/api/platform/tenants', {
      headers: { authorization: `Bearer ${testAdminToken}`, 'content-type': 'application/json' },
      body: `{"code":"deep","name":"Deep","settings":${nested(6000)}}`,
    });
    expect(platform.status).toBe(400);
    expect(platform.body).toEqual({
      success: false,
      message: expect.any(String),
      error: { code: 'invalid_json' },
    });

    const hot = await t.request('/api/crm/leads', {
      headers: { ...tenant.headers, 'content-type': 'application/json' },
      body: `{"name":"Deep","phone":"+14155550100","customFields":${nested(6000)}}`,
    });
    expect(hot.status).toBe(400);
    expect(hot.body).toEqual({
      success: false,
      message: expect.any(String),
      error: { code: 'invalid_json' },
    });

    const brackets = await t.crm(tenant).post('/leads', { name: '['.repeat(100), phone: '+14155550101' });
    expect(brackets.status).toBe(201);
  });

  it('keeps stacks out of a 500 in development, and in the log', async () => {
    const handle = await tenantHandle(t, tenant.tenant.id);
    await sql`alter table ${sql.id(handle.schema, 'leads')} rename to leads_gone`.execute(handle.db);
    try {
      const res = await t.request('/api/crm/leads', { headers: tenant.headers });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        success: false,
        message: 'Internal server error',
        error: { code: 'internal_error' },
      });
      expect(JSON.stringify(t.logs)).toContain('leads');
    } finally {
      await sql`alter table ${sql.id(handle.schema, 'leads_gone')} rename to leads`.execute(handle.db);
    }
  });

  it('cuts a client that trickles a large body within the request timeout', async () => {
    const head = [
      'POST /api/crm/leads HTTP/1.1',
      'host: localhost',
      'content-type: application/json',
      'content-length: 1000000',
      ...Object.entries(tenant.headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    // 60 bytes, one every 500 ms: the sender needs 30 s, the request timeout is 1.5 s.
    const cut = await trickle(t.baseUrl, head, `{"name":"${'x'.repeat(51)}`, 500);
    expect(cut.finished).toBe(false);
    // The request timeout cut it (408, with the error envelope), not the handler or a reset.
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(cut.answer.slice(cut.answer.indexOf('\r\n\r\n') + 4))).toEqual({
      success: false,
      message: 'The request did not arrive in full within the time limit',
      error: { code: 'request_timeout' },
    });
  }, 45_000);

  it('answers what Node refuses before routing (headers too large, not HTTP) with the error envelope', async () => {
    const huge = await exchange(
      t.baseUrl,
      `GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('Content-Type: application/json');
    expect(bodyOf(huge)).toEqual({
      success: false,
      message: 'The request headers are too large',
      error: { code: 'headers_too_large' },
    });
    const garbage = await exchange(t.baseUrl, 'HELLO THERE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(garbage)).toEqual({
      success: false,
      message: 'The request is not valid HTTP',
      error: { code: 'invalid_data' },
    });
  });

  it('cuts a client that trickles its headers within the headers timeout', async () => {
    // 100 header bytes, one every 300 ms: the sender needs 30 s, the headers timeout is 1 s.
    const cut = await trickle(t.baseUrl, 'GET /health/live HTTP/1.1\r\n', 'x-slow: ' + 'a'.repeat(92), 300);
    expect(cut.finished).toBe(false);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut.answer).toContain('"code":"request_timeout"');
  }, 45_000);

  it('answers a stranger before reading its body', async () => {
    const res = await t.request('/api/crm/leads', {
      headers: {
        'x-client-code': 'abuse',
        'x-api-key': 'sy_nobody_0000000000',
        'content-type': 'application/json',
      },
      body: '{"this is not json',
    });
    expect(res.status).toBe(401);
  });
});
