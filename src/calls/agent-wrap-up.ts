import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { announcePresence, startWrapUp } from '../presence/index.js';
import { loadCallSettings } from '../call-rules/index.js';
import type { CallRow } from './call.mapper.js';
import type { CallServices } from './call-services.js';

/**
 * A call that reached its salesperson leaves them in wrap-up (notes, disposition) for the
 * tenant's `wrapUpSeconds` from its end, so the dialer does not ring them at once; a call that
 * never reached them frees them now. Either way their presence changed: `agent.presence`.
 */
export async function endOfCallForAgent(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  call: CallRow,
): Promise<void> {
  if (!call.agent_id) return;
  const end = call.ended_at ?? new Date();
  if (call.bridged_at) {
    const { wrapUpSeconds } = await loadCallSettings(handle, unit.trx);
    if (wrapUpSeconds > 0)
      await startWrapUp(
        unit,
        handle.tenant.id,
        call.agent_id,
        new Date(end.getTime() + wrapUpSeconds * 1000),
      );
  }
  await announcePresence(unit, services, handle.tenant.id, call.agent_id, end);
}
