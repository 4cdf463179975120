import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from '../testing/test-app.js';
import { tenantKey } from './object-store.js';

/** A refusal with the envelope: `code` and its status, and none of the object's bytes. */
function expectRefused(res: TestResponse, status: number, code: string, label: string) {
  expect(res.status, label).toBe(status);
  expect(res.body, label).toMatchObject({ success: false, error: { code } });
  expect(res.text, label).not.toContain('media of');
}

describe('signed media links (tried and held)', () => {
  let t: TestApp;
  const acmeKey = tenantKey('acme', 'whatsapp', 'm1', 'photo.jpg');
  const acmeOther = tenantKey('acme', 'whatsapp', 'm2', 'photo.jpg');
  const globexKey = tenantKey('globex', 'whatsapp', 'm1', 'photo.jpg');
  let link: URL;

  /** The link's path with `query` replacing parts of its query string. */
  const withQuery = (url: URL, query: Record<string, string | null>) => {
    const params = new URLSearchParams(url.search);
    for (const [name, value] of Object.entries(query)) {
      if (value === null) params.delete(name);
      else params.set(name, value);
    }
    return `${url.pathname}?${params}`;
  };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    const { storage } = t.app.services;
    expect(storage.kind).toBe('local');
    for (const key of [acmeKey, acmeOther, globexKey]) {
      await storage.put(key, Buffer.from(`media of ${key}`), 'image/jpeg');
    }
    link = new URL(await storage.presignGet(acmeKey, 300), t.baseUrl);
  });
  afterAll(() => t?.close());

  it('serves the object its link was signed for', async () => {
    const res = await t.request(`${link.pathname}${link.search}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(`media of ${acmeKey}`);
  });

  it("a tenant's link opens no other object: another message, another tenant, a path trick", async () => {
    const swaps = {
      'another message': link.pathname.replace('/m1/', '/m2/'),
      'another tenant': link.pathname.replace('/tenants/acme/', '/tenants/globex/'),
      'another file name': link.pathname.replace('photo.jpg', 'photo.png'),
      'a parent segment': link.pathname.replace('/tenants/acme/', '/tenants/acme/..%2Fglobex/'),
      'an encoded slash': link.pathname.replace('/acme/whatsapp/', '/globex%2Fwhatsapp/'),
      'a trailing segment': `${link.pathname}/x`,
      'a prefix only': link.pathname.replace('/photo.jpg', ''),
    };
    for (const [label, path] of Object.entries(swaps)) {
      expectRefused(await t.request(`${path}${link.search}`), 403, 'forbidden', label);
    }
  });

  it('a changed expiry, a changed signature, or none, is refused', async () => {
    const expires = Number(link.searchParams.get('expires'));
    const signature = link.searchParams.get('signature')!;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    const forbidden = {
      'a later expiry': withQuery(link, { expires: String(expires + 3600) }),
      'the expiry in another spelling of another value': withQuery(link, { expires: '1e12' }),
      'one digit changed': withQuery(link, { signature: flipped }),
      "another object's signature": withQuery(link, {
        signature: new URL(
          await t.app.services.storage.presignGet(globexKey, 300),
          t.baseUrl,
        ).searchParams.get('signature')!,
      }),
    };
    for (const [label, path] of Object.entries(forbidden)) {
      expectRefused(await t.request(path), 403, 'forbidden', label);
    }
    const malformed = {
      'no signature': withQuery(link, { signature: null }),
      'an empty signature': withQuery(link, { signature: '' }),
      'upper case': withQuery(link, { signature: signature.toUpperCase() }),
      'a character appended': withQuery(link, { signature: `${signature}0` }),
      'a short signature': withQuery(link, { signature: signature.slice(0, 32) }),
      'no expiry': withQuery(link, { expires: null }),
      'an expiry that is no number': withQuery(link, { expires: 'never' }),
    };
    for (const [label, path] of Object.entries(malformed)) {
      expectRefused(await t.request(path), 400, 'validation_failed', label);
    }
  });

  it('an expired link is refused', async () => {
    const expired = new URL(await t.app.services.storage.presignGet(acmeKey, -1), t.baseUrl);
    expectRefused(await t.request(`${expired.pathname}${expired.search}`), 403, 'forbidden', 'expired');
    // Its own expiry stays in the signature: moving it on does not revive it.
    const revived = withQuery(expired, { expires: String(Math.floor(Date.now() / 1000) + 600) });
    expectRefused(await t.request(revived), 403, 'forbidden', 'revived');
  });
});
