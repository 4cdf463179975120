import type { Realtime } from '../realtime/realtime.js';
import type { LeadEvents } from './lead-events.js';

const dashboardEvents = new Set(['lead.created', 'lead.updated', 'lead.assigned', 'lead.unassigned']);

export const agentRoom = (agentId: string) => `agent:${agentId}`;

/**
 * Forwards lead events to the dashboards that may see the lead (the tenant room, and the sockets
 * whose scope reaches its agent), and assignments to the agent's own room (`subscribe:agent`),
 * until the returned function unsubscribes.
 */
export function forwardLeadEventsToRealtime(events: LeadEvents, realtime: Realtime): () => void {
  return events.subscribe(({ name, tenantId, lead }) => {
    if (!dashboardEvents.has(name)) return;
    realtime.emitForLead(tenantId, lead.assignedAgentId, name, lead);
    if (name === 'lead.assigned' && lead.assignedAgentId) {
      realtime.emitToTenantRoom(tenantId, agentRoom(lead.assignedAgentId), name, lead);
    }
  });
}
