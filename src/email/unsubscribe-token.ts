import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signed, non-expiring unsubscribe tokens: `<base64url(tenant code \n address)>.<hmac>`. */
export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(secretsKey: Buffer) {
    this.key = createHmac('sha256', secretsKey).update('switchyard.unsubscribe').digest();
  }

  create(clientCode: string, address: string): string {
    const payload = Buffer.from(`${clientCode}\n${address.toLowerCase()}`).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The tenant code and address, or null when the token is not one of ours. */
  read(token: string): { clientCode: string; address: string } | null {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [clientCode, address] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
    return clientCode && address ? { clientCode, address } : null;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
