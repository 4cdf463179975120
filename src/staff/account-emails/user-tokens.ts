import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { PlatformDb } from '../../db/platform-database.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import type { TenantConnectionManager, TenantHandle } from '../../tenancy/connection-manager.js';
import { findTenantById } from '../../tenancy/tenant-registry.js';
import type { UserTokensTable } from '../staff.tables.js';
import { isUuid } from '../../http/uuid.js';

export type UserTokenPurpose = UserTokensTable['purpose'];

const prefixes: Record<UserTokenPurpose, string> = { invitation: 'inv', password_reset: 'pwr' };

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A single-use token for `purpose`, valid for `ttlMs`, replacing the user's earlier unused
 * tokens of that purpose. Only its SHA-256 is stored. The token names its tenant
 * (`inv_<tenant id>.<secret>`), so accepting it needs nothing else.
 */
export async function issueUserToken(
  db: TenantDb,
  tenantId: string,
  userId: string,
  purpose: UserTokenPurpose,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = `${prefixes[purpose]}_${tenantId}.${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('user_tokens')
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
    await trx
      .insertInto('user_tokens')
      .values({
        token_hash: hashToken(token),
        user_id: userId,
        purpose,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
  });
  return { token, expiresAt };
}

const invalidToken = (purpose: UserTokenPurpose, reason: string) =>
  new AppError(
    'unauthorized',
    purpose === 'invitation'
      ? 'This invitation is invalid, expired or already used: ask an admin for a new one'
      : 'This password reset link is invalid, expired or already used: request a new one',
    { details: { reason } },
  );

/** The tenant a token names (401 when it names none). */
export async function tenantOfToken(
  deps: { platform: PlatformDb; connections: TenantConnectionManager },
  token: string,
  purpose: UserTokenPurpose,
): Promise<TenantHandle> {
  const match = new RegExp(`^${prefixes[purpose]}_([^.]+)\\.[A-Za-z0-9_-]{20,100}$`).exec(token);
  const tenantId = match?.[1];
  const tenant = tenantId && isUuid(tenantId) ? await findTenantById(deps.platform, tenantId) : null;
  if (!tenant) throw invalidToken(purpose, 'token_unknown');
  if (tenant.status !== 'active') {
    throw new AppError('forbidden', 'This tenant is suspended', { details: { status: tenant.status } });
  }
  return deps.connections.resolve(tenant);
}

/**
 * Spends a token inside `trx` (the caller's transaction, so the token is used only if what it
 * allows is done too) and answers its user. 401 for an unknown, expired or used token.
 */
export async function spendUserToken(
  trx: TenantDb,
  token: string,
  purpose: UserTokenPurpose,
): Promise<{ userId: string }> {
  const spent = await trx
    .updateTable('user_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('user_id')
    .executeTakeFirst();
  if (spent) return { userId: spent.user_id };
  return checkUserToken(trx, token, purpose);
}

/** The user of a token that can still be spent (401 naming why it cannot, otherwise). */
export async function checkUserToken(
  db: TenantDb,
  token: string,
  purpose: UserTokenPurpose,
): Promise<{ userId: string }> {
  const row = await db
    .selectFrom('user_tokens')
    .select(['user_id', 'used_at', sql<boolean>`expires_at <= now()`.as('expired')])
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (row && !row.used_at && !row.expired) return { userId: row.user_id };
  throw invalidToken(purpose, !row ? 'token_unknown' : row.used_at ? 'token_used' : 'token_expired');
}
