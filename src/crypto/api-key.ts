import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const keyPattern = /^sk_live_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{32,})$/;

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

/** `sk_live_<12-char lookup prefix>_<secret>`; only the prefix and the SHA-256 are stored. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(12).toString('base64url').replace(/[-_]/g, '').slice(0, 12).padEnd(12, '0');
  const key = `sk_live_${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function apiKeyPrefix(key: string): string | null {
  return keyPattern.exec(key)?.[1] ?? null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
