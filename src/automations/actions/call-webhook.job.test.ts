import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError, RetryLaterError } from '../../queue/job-types.js';
import { jobContext } from '../../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { callWebhook } from './call-webhook.job.js';
import type { CallWebhookPayload } from './external-actions.js';
import { internalUrlProblem, isInternalAddress, publicOnlyLookup } from './webhook-address.js';
import { verifySignature } from './webhook-signing.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
}

describe('call_webhook job', () => {
  let t: TestApp;
  let a: TestTenant;
  let server: Server;
  let baseUrl: string;
  const received: Received[] = [];
  /** What the receiver answers, by path. */
  const answers: Record<string, (res: ServerResponse) => void> = {
    '/ok': (res) => res.writeHead(204).end(),
    '/broken': (res) => res.writeHead(503).end('down'),
    '/refused': (res) => res.writeHead(422).end('bad'),
    '/busy': (res) => res.writeHead(429, { 'retry-after': '7' }).end(),
    '/slow': () => undefined,
    // A public-looking receiver that sends the delivery on to an internal address.
    '/redirect': (res) => res.writeHead(302, { location: `${baseUrl}/internal` }).end(),
    '/redirect-307': (res) =>
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data' }).end(),
    '/internal': (res) => res.writeHead(204).end(),
  };

  beforeAll(async () => {
    // The receiver is on this machine: internal addresses are allowed here (see the guard's tests below).
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    a = await t.createTenant('hooks');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url!, headers: req.headers, raw: Buffer.concat(chunks) });
        answers[req.url!]!(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  const payload = (path: string, extra: Partial<CallWebhookPayload> = {}): CallWebhookPayload => ({
    runId: '4f0c5f8e-1111-4222-8333-444455556666',
    ruleId: null,
    actionIndex: 0,
    leadId: null,
    url: `${baseUrl}${path}`,
    headers: { 'x-tenant-tag': 'clinic' },
    timeoutMs: 2000,
    body: { event: { trigger: 'form_submitted' }, variables: { patientName: 'Dhanesh Kumār' } },
    ...extra,
  });
  const run = async (path: string, extra: Partial<CallWebhookPayload> = {}) =>
    callWebhook(
      await jobContext(t, a.tenant.id, 'automation.call_webhook', payload(path, extra), { id: '42' }),
    );

  it('POSTs the body with an HMAC-SHA256 signature the receiver can verify with the tenant secret', async () => {
    expect(await run('/ok')).toEqual({ status: 204 });
    const delivery = received.at(-1)!;
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['x-tenant-tag']).toBe('clinic');
    expect(delivery.headers['x-switchyard-delivery']).toBe('42');
    expect(JSON.parse(delivery.raw.toString('utf8'))).toEqual(payload('/ok').body);

    const secret = await t.automations(a).get('/webhook-signing-secret');
    expect(secret.body.data.header).toBe('x-switchyard-signature');
    const signature = delivery.headers['x-switchyard-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(secret.body.data.secret, delivery.raw, signature)).toBe(true);
    expect(
      verifySignature(secret.body.data.secret, Buffer.concat([delivery.raw, Buffer.from(' ')]), signature),
    ).toBe(false);

    const rotated = await t.automations(a).post('/webhook-signing-secret/rotate');
    expect(rotated.body.data.secret).not.toBe(secret.body.data.secret);
    await run('/ok');
    const next = received.at(-1)!;
    const nextSignature = next.headers['x-switchyard-signature'] as string;
    expect(verifySignature(rotated.body.data.secret, next.raw, nextSignature)).toBe(true);
    expect(verifySignature(secret.body.data.secret, next.raw, nextSignature)).toBe(false);
  });

  it('retries a 5xx, a timeout and an unreachable host; honours Retry-After; a 4xx is permanent', async () => {
    const broken = await run('/broken').catch((error: unknown) => error);
    expect(broken).toBeInstanceOf(Error);
    expect(broken).not.toBeInstanceOf(PermanentJobError);
    expect((broken as Error).message).toContain('503');

    const slow = await run('/slow', { timeoutMs: 200 }).catch((error: unknown) => error);
    expect(slow).not.toBeInstanceOf(PermanentJobError);
    expect((slow as Error).message).toContain('timed out after 200 ms');

    const unreachable = await run('/ok', { url: 'http://127.0.0.1:9/hook' }).catch((error: unknown) => error);
    expect(unreachable).toBeInstanceOf(Error);
    expect(unreachable).not.toBeInstanceOf(PermanentJobError);

    const busy = await run('/busy').catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(RetryLaterError);
    expect((busy as RetryLaterError).delayMs).toBe(7000);

    const refused = await run('/refused').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentJobError);
    expect((refused as PermanentJobError).code).toBe('webhook_rejected');
  });

  it('sends no header a header value tries to add: CR/LF is refused at save, and never reaches the receiver', async () => {
    const before = received.length;
    const injected = await run('/ok', { headers: { 'x-tenant-tag': 'clinic\r\nX-Injected: yes' } }).catch(
      (error: unknown) => error,
    );
    expect(injected).toBeInstanceOf(Error);
    expect(received.slice(before).filter((delivery) => 'x-injected' in delivery.headers)).toEqual([]);

    for (const value of ['a\r\nX-Injected: yes', 'a\nX-Injected: yes', 'a\rb', 'a\u0000b']) {
      const rule = await t.automations(a).post('/rules', {
        name: 'Header break',
        trigger: 'form_submitted',
        actions: [{ type: 'call_webhook', url: 'https://hooks.example.com/in', headers: { 'x-tag': value } }],
      });
      expect(rule.status, JSON.stringify(value)).toBe(400);
      // NUL is refused in any field by the input contract, before the rule's own check.
      expect(rule.body.error.details).toEqual([
        {
          path: 'body.actions.0.headers.x-tag',
          message: value.includes('\u0000')
            ? expect.stringContaining('NUL')
            : expect.stringContaining('CR, LF or NUL'),
        },
      ]);
    }
  });

  it('never follows a redirect (a 3xx is the receiver refusing the delivery), so it cannot lead inside', async () => {
    for (const path of ['/redirect', '/redirect-307']) {
      const redirected = await run(path).catch((error: unknown) => error);
      expect(redirected, path).toBeInstanceOf(PermanentJobError);
      expect((redirected as PermanentJobError).code).toBe('webhook_rejected');
      expect((redirected as Error).message).toMatch(/refused the delivery with 30[27]/);
    }
    expect(received.map((delivery) => delivery.path)).toContain('/redirect');
    expect(received.map((delivery) => delivery.path)).not.toContain('/internal');
  });
});

/** Internal addresses in the spellings a hand-written list missed (issue 15), as URL hosts. */
const evasiveHosts = [
  '[::127.0.0.1]',
  '[::ffff:0:127.0.0.1]',
  '[64:ff9b::127.0.0.1]',
  '[64:ff9b:1::a00:1]',
  '[2002:7f00:1::1]',
  // Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted).
  '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
  '[2001:db8::1]',
  '[100::1]',
  '198.18.0.1',
  '192.0.2.1',
  '203.0.113.9',
  // Issue 15's list: shorthand, octal, hex and decimal IPv4, the cloud metadata addresses.
  '127.1',
  '0x7f.1',
  '017700000001',
  '2130706433',
  '2852039166',
  '0',
  '127.0.0.1.',
  '[::]',
  '[fd00:ec2::254]',
  '[::ffff:169.254.169.254]',
  '100.64.0.1',
  '198.19.255.255',
];
/** Public addresses, some reached through an IPv6 translation or tunnel form. */
const publicAddresses = [
  '8.8.8.8',
  '2606:4700::1111',
  '64:ff9b::808:808',
  '::ffff:808:808',
  '2002:808:808::1',
];

describe('call_webhook SSRF guard (the default)', () => {
  let t: TestApp;
  let a: TestTenant;
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('guarded');
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  const send = async (url: string) =>
    callWebhook(
      await jobContext(t, a.tenant.id, 'automation.call_webhook', {
        runId: '4f0c5f8e-1111-4222-8333-444455556666',
        ruleId: null,
        actionIndex: 0,
        leadId: null,
        url,
        headers: {},
        timeoutMs: 2000,
        body: {},
      }),
    ).catch((error: unknown) => error);

  it('classifies loopback, private, link-local and unique-local addresses, in every spelling', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const host of evasiveHosts) {
      expect(isInternalAddress(new URL(`http://${host}/`).hostname.replace(/^\[|\]$/g, '')), host).toBe(true);
    }
    for (const address of [...publicAddresses, '172.32.0.1', 'example.com']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
    for (const url of [
      'http://0x7f000001/hook',
      'http://2130706433/hook',
      'http://[::1]:8080/hook',
      'http://[::ffff:7f00:1]/hook',
      'http://LOCALHOST/hook',
      'https://api.localhost/hook',
      'http://169.254.169.254/latest/meta-data',
      ...evasiveHosts.map((host) => `http://${host}:8080/hook`),
    ]) {
      expect(internalUrlProblem(url), url).toBeDefined();
    }
    expect(internalUrlProblem('https://hooks.example.com/in')).toBeUndefined();
  });

  it('refuses to save a rule whose webhook URL is an internal literal', async () => {
    const res = await t.automations(a).post('/rules', {
      name: 'Metadata',
      trigger: 'form_submitted',
      actions: [
        { type: 'add_tag', tag: 'x' },
        { type: 'call_webhook', url: 'http://169.254.169.254/latest/meta-data' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'body.actions.1.url', message: expect.stringContaining('webhook_address_not_allowed') },
    ]);
    const named = await t.automations(a).post('/rules', {
      name: 'Named',
      trigger: 'form_submitted',
      actions: [{ type: 'call_webhook', url: 'https://hooks.example.com/in' }],
    });
    expect(named.status).toBe(201);
    for (const host of evasiveHosts) {
      const evasive = await t.automations(a).post('/rules', {
        name: `Evasive ${host}`,
        trigger: 'form_submitted',
        actions: [{ type: 'call_webhook', url: `http://${host}:8080/hook` }],
      });
      expect(evasive.status, host).toBe(400);
      expect(evasive.body.error.details[0].message).toContain('webhook_address_not_allowed');
    }
    const publicLiteral = await t.automations(a).post('/rules', {
      name: 'Public literal',
      trigger: 'form_submitted',
      actions: [{ type: 'call_webhook', url: 'http://[64:ff9b::808:808]/hook' }],
    });
    expect(publicLiteral.status).toBe(201);
  });

  it('refuses at send time an internal literal and a name that resolves to an internal address', async () => {
    const literal = await send(`http://127.0.0.1:${port}/hook`);
    expect(literal).toBeInstanceOf(PermanentJobError);
    expect((literal as PermanentJobError).code).toBe('webhook_address_not_allowed');

    // This machine's own name resolves to one of its internal addresses.
    const own = hostname();
    expect(isInternalAddress((await lookup(own)).address)).toBe(true);
    const resolved = await send(`http://${own}:${port}/hook`);
    expect(resolved).toBeInstanceOf(PermanentJobError);
    expect((resolved as PermanentJobError).code).toBe('webhook_address_not_allowed');
    expect((resolved as Error).message).toContain(own);
    for (const host of evasiveHosts) {
      const refused = await send(`http://${host}:${port}/hook`);
      expect(refused, host).toBeInstanceOf(PermanentJobError);
      expect((refused as PermanentJobError).code).toBe('webhook_address_not_allowed');
    }
    expect(hits).toBe(0);
  });

  it('checks the address each connection resolves to, in every spelling', async () => {
    // An IP literal "resolves" to itself: this is the check a DNS answer of that address meets.
    const resolve = (address: string) =>
      new Promise<Error | null>((done) => publicOnlyLookup(address, { all: true }, (error) => done(error)));
    for (const host of evasiveHosts) {
      const error = await resolve(new URL(`http://${host}/`).hostname.replace(/^\[|\]$/g, ''));
      expect(error, host).toBeInstanceOf(PermanentJobError);
      expect((error as PermanentJobError).code).toBe('webhook_address_not_allowed');
    }
    for (const address of publicAddresses) expect(await resolve(address), address).toBeNull();
    // A name, resolved by the system resolver: every address it gives must be public.
    const named = await resolve('localhost');
    expect(named).toBeInstanceOf(PermanentJobError);
    expect((named as PermanentJobError).code).toBe('webhook_address_not_allowed');
  });

  it('refuses a loopback name written fully qualified, and an internal URL patched into a saved rule', async () => {
    for (const url of [
      'http://localhost./hook',
      'http://LOCALHOST.:8080/hook',
      'https://api.localhost./hook',
    ]) {
      expect(internalUrlProblem(url), url).toBeDefined();
      const res = await t.automations(a).post('/rules', {
        name: `Dotted ${url}`,
        trigger: 'form_submitted',
        actions: [{ type: 'call_webhook', url }],
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.details[0].message).toContain('webhook_address_not_allowed');
      const sent = await send(url);
      expect(sent, url).toBeInstanceOf(PermanentJobError);
      expect((sent as PermanentJobError).code).toBe('webhook_address_not_allowed');
    }

    const rule = await t.automations(a).post('/rules', {
      name: 'Patched later',
      trigger: 'form_submitted',
      actions: [{ type: 'call_webhook', url: 'https://hooks.example.com/in' }],
    });
    expect(rule.status).toBe(201);
    const patched = await t.automations(a).patch(`/rules/${rule.body.data.id}`, {
      actions: [{ type: 'call_webhook', url: 'http://[fd00:ec2::254]/latest/meta-data' }],
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details).toEqual([
      { path: 'body.actions.0.url', message: expect.stringContaining('webhook_address_not_allowed') },
    ]);
    const stored = await t.automations(a).get(`/rules/${rule.body.data.id}`);
    expect(stored.body.data.actions[0].url).toBe('https://hooks.example.com/in');
    expect(hits).toBe(0);
  });
});
