import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';

const settingsKey = 'automations.webhook_signing_secret';
export const signatureHeader = 'x-switchyard-signature';

/**
 * The tenant's webhook signing secret, created on first use. The tenant reads it through
 * the API to verify deliveries, so it is tenant data (like the webhook URLs themselves).
 */
export async function webhookSigningSecret(db: TenantDb): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key: settingsKey, value: JSON.stringify(randomBytes(32).toString('base64url')) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', settingsKey)
    .executeTakeFirstOrThrow();
  return row.value as string;
}

export async function rotateWebhookSigningSecret(db: TenantDb): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const value = JSON.stringify(secret);
  await db
    .insertInto('settings')
    .values({ key: settingsKey, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: sql<Date>`now()` }))
    .execute();
  return secret;
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as sent in the signature header. */
export function signBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a received signature (what a receiver does). */
export function verifySignature(secret: string, rawBody: string | Buffer, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
