import { maskPhone } from '../http/pii.js';
import type { Realtime } from '../realtime/realtime.js';
import { toCall, type CallRow } from './call.mapper.js';

export type CallEventName = 'call.queued' | 'call.ringing' | 'call.answered' | 'call.bridged' | 'call.ended';

/**
 * A call's event to the tenant room and the room of the salesperson on the call (whoever sees
 * their leads); sockets without `pii.read` get the numbers masked.
 */
export function emitCall(realtime: Realtime, tenantId: string, event: CallEventName, row: CallRow): void {
  const call = toCall(row);
  const masked = {
    call: {
      ...call,
      fromNumber: maskPhone(call.fromNumber),
      toNumber: maskPhone(call.toNumber),
      agentNumber: call.agentNumber && maskPhone(call.agentNumber),
    },
  };
  realtime.emitForLead(tenantId, row.agent_id, event, { call }, masked);
}
