import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.js';

/**
 * Signed, non-expiring unsubscribe tokens: `<base64url(tenant code \n address)>.<hmac>`. Signed
 * with the current secrets key; read with every key still configured (current first, then the
 * previous ones), so links in emails sent before a key rotation keep working.
 */
export class UnsubscribeTokens {
  private readonly currentKey: Buffer;
  private readonly keys: Buffer[];

  constructor(secrets: Config['secrets']) {
    this.currentKey = unsubscribeKey(secrets.currentKey);
    this.keys = [this.currentKey, ...secrets.previousKeys.map(unsubscribeKey)];
  }

  create(clientCode: string, address: string): string {
    const payload = Buffer.from(`${clientCode}\n${address.toLowerCase()}`).toString('base64url');
    return `${payload}.${sign(this.currentKey, payload)}`;
  }

  /** The tenant code and address, or null when the token is not one of ours. */
  read(token: string): { clientCode: string; address: string } | null {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return null;
    const given = Buffer.from(signature);
    const signed = this.keys.some((key) => {
      const expected = Buffer.from(sign(key, payload));
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!signed) return null;
    const [clientCode, address] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
    return clientCode && address ? { clientCode, address } : null;
  }
}

function unsubscribeKey(secretsKey: Buffer): Buffer {
  return createHmac('sha256', secretsKey).update('switchyard.unsubscribe').digest();
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
