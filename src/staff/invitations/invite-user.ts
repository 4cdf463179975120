import { createHash, randomBytes } from 'node:crypto';
import type { AppServices } from '../../app/services.js';
import type { Actor } from '../../auth/access.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';

/** How long an invitation link works. */
const invitationTtlMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Issues a single-use invitation token for `userId` (only its SHA-256 is stored; the user's
 * earlier unused invitations stop working) and hands it over.
 *
 * This version answers the token to the caller (the admin passes it on); the emailing version
 * (tenant SMTP, else platform SMTP, else answered) replaces it with the same signature.
 */
export async function inviteUser(
  _services: AppServices,
  handle: TenantHandle,
  userId: string,
  _invitedBy: Actor,
): Promise<{ delivery: 'email' } | { delivery: 'answered'; invitationToken: string; expiresAt: string }> {
  const token = `inv_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + invitationTtlMs);
  await handle.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('user_tokens')
      .where('user_id', '=', userId)
      .where('purpose', '=', 'invitation')
      .where('used_at', 'is', null)
      .execute();
    await trx
      .insertInto('user_tokens')
      .values({
        token_hash: createHash('sha256').update(token).digest('hex'),
        user_id: userId,
        purpose: 'invitation',
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
  });
  return { delivery: 'answered', invitationToken: token, expiresAt: expiresAt.toISOString() };
}
