import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../testing/local-s3.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { LocalObjectStore } from './local-object-store.js';
import { S3ObjectStore } from './s3-object-store.js';
import { safeFileName, tenantKey } from './object-store.js';

describe('tenant object keys', () => {
  it('prefixes keys with the tenant and refuses path tricks', () => {
    expect(tenantKey('acme', 'whatsapp', 'm1', 'photo.jpg')).toBe('tenants/acme/whatsapp/m1/photo.jpg');
    expect(() => tenantKey('acme', '..', 'x')).toThrow();
    expect(() => tenantKey('acme', 'a/b')).toThrow();
    expect(safeFileName('../../etc/pass wd')).toBe('_.._etc_pass_wd');
  });
});

describe('S3 object store (s3rver)', () => {
  let s3: LocalS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startLocalS3();
    store = new S3ObjectStore({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    });
  });
  afterAll(async () => {
    store?.close();
    await s3?.close();
  });

  it('stores, reads back byte for byte, presigns and deletes', async () => {
    const body = randomBytes(200_000);
    const key = tenantKey('acme', 'whatsapp', 'm1', 'blob.bin');
    await store.put(key, body, 'application/octet-stream');
    expect((await store.get(key))?.equals(body)).toBe(true);

    const url = await store.presignGet(key, 60);
    expect(url).toContain('X-Amz-Signature=');
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(body)).toBe(true);

    await store.delete(key);
    expect(await store.get(key)).toBeNull();
  });
});

describe('local object store', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('is the default without S3 and serves presigned URLs through /media until they expire', async () => {
    const store = t.app.services.storage;
    expect(store.kind).toBe('local');
    const key = tenantKey('acme', 'whatsapp', 'm2', 'note.txt');
    await store.put(key, Buffer.from('hello media'), 'text/plain');

    const url = await store.presignGet(key, 60);
    const ok = await t.request(url);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('hello media');

    const tampered = url.replace('m2', 'm3');
    expect((await t.request(tampered)).status).toBe(403);
    const wrongSignature = url.replace(/signature=\w/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0'));
    expect((await t.request(wrongSignature)).status).toBe(403);

    const local = store as LocalObjectStore;
    const expires = Number(new URL(url, t.baseUrl).searchParams.get('expires'));
    const signature = new URL(url, t.baseUrl).searchParams.get('signature')!;
    expect(local.verify(key, expires, signature)).toBe(true);
    expect(local.verify(key, expires, signature, (expires + 1) * 1000)).toBe(false);
    expect(await store.get(tenantKey('acme', 'nothing'))).toBeNull();
  });
});

describe('platform storage configured by env', () => {
  it('uses S3 when the S3 variables are set', async () => {
    const s3 = await startLocalS3('env-bucket');
    const t = await startTestApp(s3.env);
    try {
      const { storage } = t.app.services;
      expect(storage.kind).toBe('s3');
      await storage.put('tenants/acme/x.txt', Buffer.from('via env'), 'text/plain');
      expect((await storage.get('tenants/acme/x.txt'))?.toString()).toBe('via env');
    } finally {
      await t.close();
      await s3.close();
    }
  });
});
