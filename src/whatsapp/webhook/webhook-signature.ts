import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Checks `X-Hub-Signature-256: sha256=<hex>` against the raw body with each candidate secret. */
export function isValidSignature(rawBody: Buffer, header: string | undefined, secrets: string[]): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  return secrets.some((secret) =>
    timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), given),
  );
}

/** Compares two tokens in constant time (hashing first equalises the lengths). */
export function tokensEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
