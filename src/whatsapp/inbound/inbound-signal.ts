import type { AppServices } from '../../app/services.js';
import { openSignalWithin } from '../../signals/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import type { StoredInbound } from './inbound-store.js';

/**
 * A new inbound message on a lead opens (or refreshes) the lead's pending `whatsapp` signal for its
 * owner, in the unit of work that stored the message or linked its conversation to the lead, so it
 * is counted exactly once. A lead without an owner gets no signal: nobody is waited on.
 */
export async function signalInbound(
  unit: TenantUnitOfWork<unknown>,
  services: Pick<AppServices, 'realtime'>,
  handle: TenantHandle,
  stored: StoredInbound,
  leadId: string,
): Promise<void> {
  await openSignalWithin(
    unit,
    services,
    handle,
    {
      type: 'whatsapp',
      leadId,
      content: stored.body ?? `[${stored.type}]`,
      at: stored.at,
      source: { kind: 'conversation', id: stored.conversationId },
    },
    { ownerRequired: true },
  );
}
