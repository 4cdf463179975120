import type { AppServices } from '../../app/services.js';
import type { Actor } from '../../auth/access.js';
import { AppError } from '../../http/app-error.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { sendAccountMail } from '../account-emails/account-mail.js';
import { issueUserToken } from '../account-emails/user-tokens.js';

export const invitationTtlMs = 7 * 86_400_000;

export type InvitationDelivery =
  { delivery: 'email' } | { delivery: 'answered'; invitationToken: string; expiresAt: string };

/**
 * Invites a user (status `invited`): a single-use invitation token valid 7 days, replacing their
 * earlier unused ones, emailed through the tenant's SMTP channel or else the platform's. With
 * neither (or when the send fails), the token is answered instead, for the admin to hand over.
 * 404 for an unknown user, 409 `invalid_status_transition` for one not `invited`.
 */
export async function inviteUser(
  services: AppServices,
  handle: TenantHandle,
  userId: string,
  invitedBy: Actor,
): Promise<InvitationDelivery> {
  const user = await handle.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'status'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) throw AppError.notFound('User');
  if (user.status !== 'invited') {
    throw new AppError(
      'invalid_status_transition',
      `Only an invited user can be invited (this one is ${user.status})`,
      {
        details: { status: user.status },
      },
    );
  }
  const { tenant } = handle;
  const { token, expiresAt } = await issueUserToken(
    handle.db,
    tenant.id,
    user.id,
    'invitation',
    invitationTtlMs,
  );
  const link = `${services.config.publicBaseUrl}/accept-invitation?token=${encodeURIComponent(token)}`;
  const outcome = await sendAccountMail(services, tenant.id, {
    to: user.email,
    subject: `You are invited to ${tenant.name}`,
    text: [
      `Hello ${user.name},`,
      '',
      `${invitedBy.name} invited you to ${tenant.name}. Choose your password here (the link works once, until ${expiresAt.toISOString()}):`,
      '',
      link,
      '',
      `Or give this invitation code where you are asked for it: ${token}`,
      '',
      'If you did not expect this invitation, ignore this email.',
    ].join('\n'),
  });
  if (outcome === 'sent') return { delivery: 'email' };
  services.logger.info(
    { tenantId: tenant.id, userId: user.id, outcome },
    'invitation not emailed: the token is answered to the admin',
  );
  return { delivery: 'answered', invitationToken: token, expiresAt: expiresAt.toISOString() };
}
