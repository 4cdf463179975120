import type { Actor } from '../../auth/access.js';
import { ResourceKey } from '../../app/process-resources.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';

/** How an invitation went out: emailed, or answered to the caller (no mail channel). */
export type InvitationDelivery =
  { delivery: 'email' } | { delivery: 'answered'; invitationToken: string; expiresAt: string };

export type SendInvitation = (
  handle: TenantHandle,
  userId: string,
  invitedBy: Actor,
) => Promise<InvitationDelivery>;

/**
 * `inviteUser` bound to the process's services, provided by the staff component's `start`: what
 * staff code reachable from other components (through index.ts) calls, as it may not import the
 * services type.
 */
export const invitationSenderKey = new ResourceKey<SendInvitation>('staff.invitationSender');
