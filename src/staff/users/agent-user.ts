import type { ProcessResources } from '../../app/process-resources.js';
import type { PlatformDb } from '../../db/platform-database.js';
import type { TenantDb } from '../../db/tenant-database.js';
import type { TenantCaller } from '../../http/request-context.js';
import type { TenantChanges } from '../../tenancy/tenant-changes.js';
import { announceStaffChange } from '../announce.js';
import { invitationSenderKey, type InvitationDelivery } from '../invitations/invitation-sender.js';
import { userRef } from './user-principal.js';
import { insertNewUser } from './user.repository.js';

/**
 * Creates an agent profile and its invited user (role `agent`, linked to the agent) in one
 * transaction, then sends the invitation. `insertAgent` is the agents component's insert, run
 * in that transaction (staff does not import agents). A taken email is a 409 and leaves no agent.
 */
export async function createAgentWithUser<
  A extends { id: string; name: string; email: string | null; phone: string | null },
>(
  services: { platform: PlatformDb; tenantChanges: TenantChanges; resources: ProcessResources },
  caller: Pick<TenantCaller, 'handle' | 'actor'>,
  insertAgent: (trx: TenantDb) => Promise<A>,
): Promise<{
  agent: A;
  user: { id: string; ref: string; status: 'invited' };
  invitation: InvitationDelivery;
}> {
  const { handle } = caller;
  const { agent, user } = await handle.db.transaction().execute(async (trx) => {
    const agent = await insertAgent(trx);
    const user = await insertNewUser(trx, {
      email: agent.email!,
      name: agent.name,
      phone: agent.phone,
      role: 'agent',
      agentId: agent.id,
      passwordHash: null,
    });
    return { agent, user };
  });
  await announceStaffChange(services, handle.tenant.id);
  const invitation = await services.resources.get(invitationSenderKey)(handle, user.id, caller.actor);
  return { agent, user: { id: user.id, ref: userRef(user.number), status: 'invited' }, invitation };
}
