import { AppError } from '../../http/app-error.js';
import type { TenantChanges } from '../../tenancy/tenant-changes.js';
import { announceStaffChange } from '../announce.js';
import { checkUserToken, spendUserToken, tenantOfToken } from '../account-emails/user-tokens.js';
import { hashPassword } from '../passwords.js';
import type { TokenPair } from '../sessions/auth.schemas.js';
import type { LoginDeps } from '../sessions/log-in.js';
import { startUserSession } from '../sessions/start-session.js';

/**
 * An invited user accepts: the invitation token is spent, the user becomes active with the
 * password they chose (and the name, when given), and is logged in.
 */
export async function acceptInvitation(
  deps: LoginDeps & { tenantChanges: TenantChanges },
  input: { token: string; password: string; name?: string },
  client: { userAgent?: string; ip: string },
): Promise<TokenPair> {
  const handle = await tenantOfToken(deps, input.token, 'invitation');
  // Checked before the Argon2 work, spent with the change below.
  await checkUserToken(handle.db, input.token, 'invitation');
  const passwordHash = await hashPassword(input.password);
  const userId = await handle.db.transaction().execute(async (trx) => {
    const { userId } = await spendUserToken(trx, input.token, 'invitation');
    const activated = await trx
      .updateTable('users')
      .set({
        status: 'active',
        password_hash: passwordHash,
        password_changed_at: new Date(),
        updated_at: new Date(),
        ...(input.name ? { name: input.name } : {}),
      })
      .where('id', '=', userId)
      .where('status', '=', 'invited')
      .returning('id')
      .executeTakeFirst();
    if (!activated) {
      throw new AppError('invalid_status_transition', 'This user is no longer invited: log in instead', {
        details: { reason: 'not_invited' },
      });
    }
    return userId;
  });
  await announceStaffChange(deps, handle.tenant.id);
  return startUserSession(deps, handle, userId, client);
}
