import type { TenantCaller } from '../../http/request-context.js';
import { AppError } from '../../http/app-error.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import type { StaffAuth } from '../staff-auth.js';
import { tenantAccountKey } from './login-throttle.js';

/**
 * A logged-in user changes their password: the current one is checked (a wrong one counts as a
 * failed login of the account, so a stolen access token cannot guess at it freely), and every
 * other session of the user ends; the caller's stays.
 */
export async function changePassword(
  auth: StaffAuth,
  caller: TenantCaller,
  input: { currentPassword: string; newPassword: string },
  ip: string,
): Promise<void> {
  const user = caller.user!;
  const { tenant } = caller.handle;
  const keys = { account: tenantAccountKey(tenant.clientCode, user.email), address: ip };
  await auth.throttle.check(keys);
  const row = await caller.handle.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', user.id)
    .executeTakeFirst();
  if (!row?.password_hash || !(await verifyPassword(row.password_hash, input.currentPassword))) {
    await auth.throttle.fail(keys);
    throw AppError.invalidFields(
      [{ path: 'body.currentPassword', message: 'The current password is not right' }],
      'The current password is not right',
    );
  }
  const passwordHash = await hashPassword(input.newPassword);
  await caller.handle.db
    .updateTable('users')
    .set({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() })
    .where('id', '=', user.id)
    .execute();
  await auth.sessions.revokeUser(tenant.id, user.id, 'password_changed', user.sessionId ?? undefined);
}
