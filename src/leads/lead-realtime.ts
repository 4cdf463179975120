import { maskPii, piiPaths } from '../http/pii.js';
import type { Realtime } from '../realtime/realtime.js';
import type { LeadEvents } from './lead-events.js';
import { leadSchema, type Lead } from './lead.schemas.js';

const dashboardEvents = new Set(['lead.created', 'lead.updated', 'lead.assigned', 'lead.unassigned']);

export const agentRoom = (agentId: string) => `agent:${agentId}`;

const leadPii = piiPaths(leadSchema);

/** The lead as a caller without `pii.read` sees it (the same masking as HTTP responses). */
export function maskLead(lead: Lead): Lead {
  return maskPii(lead, leadPii);
}

/**
 * Forwards lead events to the dashboards that may see the lead (the tenant room, and the sockets
 * whose scope reaches its agent), and assignments to the agent's own room (`subscribe:agent`),
 * masked for the sockets without `pii.read`, until the returned function unsubscribes.
 */
export function forwardLeadEventsToRealtime(events: LeadEvents, realtime: Realtime): () => void {
  return events.subscribe(({ name, tenantId, lead }) => {
    if (!dashboardEvents.has(name)) return;
    const masked = maskLead(lead);
    realtime.emitForLead(tenantId, lead.assignedAgentId, name, lead, masked);
    if (name === 'lead.assigned' && lead.assignedAgentId) {
      realtime.emitToTenantRoom(tenantId, agentRoom(lead.assignedAgentId), name, lead, masked);
    }
  });
}
