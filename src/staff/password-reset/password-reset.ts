import { sql } from 'kysely';
import type { AppServices } from '../../app/services.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';
import { sendAccountMail } from '../account-emails/account-mail.js';
import {
  checkUserToken,
  issueUserToken,
  spendUserToken,
  tenantOfToken,
} from '../account-emails/user-tokens.js';
import { hashPassword } from '../passwords.js';
import { tenantAccountKey } from '../sessions/login-throttle.js';

export const passwordResetTtlMs = 3_600_000;
/** A user is sent at most one reset email in this time (a stranger cannot flood a mailbox). */
const resendAfterSeconds = 60;

type ResetServices = Pick<
  AppServices,
  'config' | 'logger' | 'resources' | 'platform' | 'secrets' | 'connections' | 'staffAuth'
>;

/**
 * Emails a single-use reset token (valid 1 hour) to an active user of the tenant. Whether the
 * account exists is never told: the route answers 202 before this runs (it runs after the
 * answer, so its time tells nothing either), and the token is never answered to the requester.
 * Without an email channel it is logged, without the token, and nothing is issued.
 */
export async function requestPasswordReset(
  services: ResetServices,
  input: { clientCode: string; email: string },
): Promise<void> {
  const tenant = await findTenantByCode(services.platform, input.clientCode.toLowerCase());
  if (!tenant || tenant.status !== 'active') return;
  const handle = await services.connections.resolve(tenant);
  const user = await handle.db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.trim().toLowerCase()))
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!user) return;
  const recent = await handle.db
    .selectFrom('user_tokens')
    .select('token_hash')
    .where('user_id', '=', user.id)
    .where('purpose', '=', 'password_reset')
    .where('used_at', 'is', null)
    .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${resendAfterSeconds})`)
    .executeTakeFirst();
  if (recent) return;
  const { token, expiresAt } = await issueUserToken(
    handle.db,
    tenant.id,
    user.id,
    'password_reset',
    passwordResetTtlMs,
  );
  const link = `${services.config.publicBaseUrl}/reset-password?token=${encodeURIComponent(token)}`;
  const outcome = await sendAccountMail(services, tenant.id, {
    to: user.email,
    subject: `Reset your ${tenant.name} password`,
    text: [
      `Hello ${user.name},`,
      '',
      `Someone (we hope you) asked to reset your password for ${tenant.name}. Choose a new one here (the link works once, until ${expiresAt.toISOString()}):`,
      '',
      link,
      '',
      `Or give this reset code where you are asked for it: ${token}`,
      '',
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ].join('\n'),
  });
  if (outcome !== 'sent') {
    // Nobody can receive it: drop the token rather than leave a live one no one has.
    await handle.db
      .deleteFrom('user_tokens')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'password_reset')
      .where('used_at', 'is', null)
      .execute();
    services.logger.warn(
      { tenantId: tenant.id, userId: user.id, outcome },
      'password reset requested, but no email could be sent (no SMTP channel for the tenant nor PLATFORM_SMTP_URL, or the send failed)',
    );
  }
}

/**
 * Sets a new password with a reset token (spent with the change), ends every session of the
 * user and clears their failed-login count.
 */
export async function confirmPasswordReset(
  services: ResetServices,
  input: { token: string; password: string },
): Promise<void> {
  const handle = await tenantOfToken(services, input.token, 'password_reset');
  await checkUserToken(handle.db, input.token, 'password_reset');
  const passwordHash = await hashPassword(input.password);
  const user = await handle.db.transaction().execute(async (trx) => {
    const { userId } = await spendUserToken(trx, input.token, 'password_reset');
    return trx
      .updateTable('users')
      .set({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() })
      .where('id', '=', userId)
      .returning(['id', 'email'])
      .executeTakeFirstOrThrow();
  });
  await services.staffAuth.sessions.revokeUser(handle.tenant.id, user.id, 'password_reset');
  await services.staffAuth.throttle.succeed(tenantAccountKey(handle.tenant.clientCode, user.email));
}
