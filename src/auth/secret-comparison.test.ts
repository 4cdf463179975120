import { createHash, randomBytes } from 'node:crypto';
import * as crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashApiKey } from '../crypto/api-key.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

// Every comparison of a secret goes through Node's constant-time compare: watch it.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

/** Each constant-time comparison made since the last reset, as the byte lengths compared. */
const comparedLengths = () => timingSafeEqual.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]);

/** Secrets as an attacker varies them: empty, shorter, longer, one byte off, multi-byte characters. */
const variantsOf = (secret: string) => [
  '',
  'x',
  secret.slice(0, -1),
  `${secret}x`,
  `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`,
  `${secret.slice(0, -2)}é`,
  secret.repeat(40),
];
/** The same, plus the secret in the other case (for secrets that are not hex, where case is a different value). */
const textVariantsOf = (secret: string) => [...variantsOf(secret), secret.toUpperCase()];

/**
 * The modules under test, loaded afresh so that they bind the watched `timingSafeEqual`: the suite
 * shares one module cache across files (`isolate: false`), where another file may have loaded them
 * with Node's own first.
 */
async function loadFresh() {
  vi.resetModules();
  return {
    ...(await import('../automations/actions/webhook-signing.js')),
    ...(await import('../crypto/api-key.js')),
    ...(await import('../email/unsubscribe-token.js')),
    ...(await import('../http/app-error.js')),
    ...(await import('../storage/local-object-store.js')),
    ...(await import('../whatsapp/webhook/webhook-signature.js')),
    ...(await import('./platform-auth.js')),
  };
}
let m: Awaited<ReturnType<typeof loadFresh>>;

describe('secret comparisons are constant-time and refuse every other length (tried and held)', () => {
  beforeAll(async () => {
    m = await loadFresh();
  });
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  it('API keys: the SHA-256 of the presented key against the stored one, 32 bytes each', () => {
    const { key, hash } = m.generateApiKey();
    expect(m.apiKeyMatches(key, hash)).toBe(true);
    expect(comparedLengths()).toEqual([[32, 32]]);
    for (const wrong of textVariantsOf(key)) {
      timingSafeEqual.mockClear();
      expect(m.apiKeyMatches(wrong, hash), wrong).toBe(false);
      expect(comparedLengths()).toEqual([[32, 32]]);
    }
    // A stored hash that is not 64 hex characters never matches, and never throws.
    for (const stored of ['', 'abc', hash.slice(1), `${hash}00`]) {
      expect(m.apiKeyMatches(key, stored)).toBe(false);
    }
  });

  it('PLATFORM_ADMIN_TOKEN: digests of the presented and the configured token, 32 bytes each', () => {
    const token = 'platform-admin-token-0123456789abcdef';
    const guard = m.platformAuth(token);
    const call = (authorization: string | undefined) => {
      let nextCalls = 0;
      const next: NextFunction = () => {
        nextCalls++;
      };
      const req = { headers: authorization === undefined ? {} : { authorization } } as Request;
      try {
        guard(req, {} as Response, next);
        return nextCalls === 1 ? 'passed' : 'stopped';
      } catch (error) {
        expect(error).toBeInstanceOf(m.AppError);
        expect((error as InstanceType<typeof m.AppError>).code).toBe('unauthorized');
        return 'refused';
      }
    };
    expect(call(`Bearer ${token}`)).toBe('passed');
    expect(comparedLengths()).toEqual([[32, 32]]);
    for (const wrong of textVariantsOf(token).filter(Boolean)) {
      timingSafeEqual.mockClear();
      expect(call(`Bearer ${wrong}`), wrong).toBe('refused');
      expect(comparedLengths()).toEqual([[32, 32]]);
    }
    for (const header of [
      undefined,
      '',
      'Bearer ',
      token,
      `bearer ${token}`,
      `Basic ${token}`,
      `Bearer  ${token}`,
    ]) {
      expect(call(header), String(header)).toBe('refused');
    }
  });

  it('webhook verify tokens, Meta signatures, webhook signatures, media links and unsubscribe tokens', () => {
    expect(m.tokensEqual('verify-token', 'verify-token')).toBe(true);
    for (const wrong of textVariantsOf('verify-token'))
      expect(m.tokensEqual('verify-token', wrong), wrong).toBe(false);
    expect(new Set(comparedLengths().flat())).toEqual(new Set([32]));

    const body = Buffer.from('{"entry":[]}');
    const metaSignature = `sha256=${crypto.createHmac('sha256', 'app-secret').update(body).digest('hex')}`;
    expect(m.isValidSignature(body, metaSignature, ['other', 'app-secret'])).toBe(true);
    for (const wrong of [...variantsOf(metaSignature), undefined, 'sha256=', `${metaSignature}00`]) {
      expect(m.isValidSignature(body, wrong, ['app-secret']), String(wrong)).toBe(false);
    }

    const signature = m.signBody('tenant-secret', body);
    timingSafeEqual.mockClear();
    expect(m.verifySignature('tenant-secret', body, signature)).toBe(true);
    expect(comparedLengths()).toEqual([[signature.length, signature.length]]);
    for (const wrong of variantsOf(signature)) {
      expect(m.verifySignature('tenant-secret', body, wrong), wrong).toBe(false);
    }

    const store = new m.LocalObjectStore('/nonexistent', randomBytes(32));
    const expires = Math.floor(Date.now() / 1000) + 60;
    const mediaSignature = crypto
      .createHmac('sha256', (store as unknown as { signingKey: Buffer }).signingKey)
      .update(`tenants/acme/x\n${expires}`)
      .digest('hex');
    expect(store.verify('tenants/acme/x', expires, mediaSignature)).toBe(true);
    for (const wrong of variantsOf(mediaSignature)) {
      expect(store.verify('tenants/acme/x', expires, wrong), wrong).toBe(false);
    }

    const tokens = new m.UnsubscribeTokens({ currentKey: randomBytes(32), previousKeys: [randomBytes(32)] });
    const token = tokens.create('acme', 'a@example.test');
    expect(tokens.read(token)).toEqual({ clientCode: 'acme', address: 'a@example.test' });
    const [payload, mac] = token.split('.') as [string, string];
    for (const wrong of textVariantsOf(mac)) expect(tokens.read(`${payload}.${wrong}`), wrong).toBeNull();
    // Every comparison made was of equal lengths (timingSafeEqual throws otherwise).
    for (const [a, b] of comparedLengths()) expect(a).toBe(b);
  });
});

describe('credentials of every length against the running app (tried and held)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant();
    b = await t.createTenant();
  });
  afterAll(() => t?.close());

  const expectUnauthorized = (res: { status: number; body: any }, label: string) => {
    expect(res.status, label).toBe(401);
    expect(res.body, label).toMatchObject({ success: false, error: { code: 'unauthorized' } });
  };

  it('the platform admin token: anything but the exact token is a 401 with the envelope, never a 500', async () => {
    const tenants = (authorization: string) =>
      t.request('/api/platform/tenants', { headers: { authorization } });
    expect((await tenants(`Bearer ${testAdminToken}`)).status).toBe(200);
    for (const wrong of textVariantsOf(testAdminToken).filter(Boolean)) {
      expectUnauthorized(await tenants(`Bearer ${wrong}`), wrong);
    }
    for (const header of ['', 'Bearer ', testAdminToken, `Basic ${testAdminToken}`, 'Bearer \u00e9\u00e9']) {
      expectUnauthorized(await tenants(header), header);
    }
  });

  it("API keys: other lengths, another tenant's key, a real prefix with a wrong secret are the same 401", async () => {
    const whoami = (clientCode: string, apiKey: string) =>
      t.request('/api/crm/whoami', { headers: { 'x-client-code': clientCode, 'x-api-key': apiKey } });
    const code = a.tenant.clientCode;
    expect((await whoami(code, a.apiKey)).status).toBe(200);
    for (const wrong of textVariantsOf(a.apiKey).filter(Boolean)) {
      expectUnauthorized(await whoami(code, wrong), wrong);
    }
    expectUnauthorized(await whoami(code, b.apiKey), "another tenant's key");
    const prefix = a.apiKey.slice(0, 'sk_live_'.length + 13);
    expectUnauthorized(
      await whoami(code, `${prefix}${randomBytes(24).toString('base64url')}`),
      'wrong secret',
    );
    expectUnauthorized(await whoami(code, `${prefix}${'A'.repeat(32)}`), 'wrong secret, other length');
    // The stored value is a hash: presenting the hash itself is not the key.
    expect(hashApiKey(a.apiKey)).toMatch(/^[0-9a-f]{64}$/);
    expectUnauthorized(await whoami(code, createHash('sha256').update(a.apiKey).digest('hex')), 'the hash');
  });
});
