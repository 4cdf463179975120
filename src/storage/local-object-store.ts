import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectStore } from './object-store.js';

/** Path of the route that serves presigned local objects. */
export const localMediaRoute = '/media';

/**
 * Objects as files under `<root>/<key>` (the embedded default when no S3 is configured).
 * Presigned GETs are URLs of our own `/media` route carrying an expiry and an HMAC.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local';

  constructor(
    private readonly root: string,
    private readonly signingKey: Buffer,
  ) {}

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** A path relative to this server: `/media/<key>?expires=<unix s>&signature=<hex>`. */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    return `${localMediaRoute}/${encodedKey}?expires=${expires}&signature=${this.sign(key, expires)}`;
  }

  /**
   * True when the signature is ours for this key and has not expired. Only the exact form we
   * write (64 lowercase hex digits) is read: `Buffer.from(…, 'hex')` would stop at the first
   * non-hex character and accept the signature with anything appended.
   */
  verify(key: string, expires: number, signature: string, now = Date.now()): boolean {
    if (!Number.isInteger(expires) || expires * 1000 < now || !/^[0-9a-f]{64}$/.test(signature)) return false;
    const expected = Buffer.from(this.sign(key, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(key: string, expires: number): string {
    return createHmac('sha256', this.signingKey).update(`${key}\n${expires}`).digest('hex');
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    if (segments.some((segment) => !segment || segment === '.' || segment === '..')) {
      throw new Error(`Invalid object key: ${key}`);
    }
    return join(this.root, ...segments);
  }
}
