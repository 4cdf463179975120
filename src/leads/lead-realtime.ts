import { maskPii, piiPaths } from '../http/pii.js';
import type { Realtime } from '../realtime/realtime.js';
import type { LeadEvents } from './lead-events.js';
import { leadSchema, type Lead } from './lead.schemas.js';

const dashboardEvents = new Set(['lead.created', 'lead.updated', 'lead.assigned', 'lead.unassigned']);

export const agentRoom = (agentId: string) => `agent:${agentId}`;

/**
 * The room where the sockets of users without `pii.read` hear what `room` hears, with phone
 * numbers and email addresses masked: such a socket joins `maskedRoom(room)` instead of `room`
 * (`masked` for the tenant's own room). Payloads are masked once per event, not per socket.
 */
export const maskedRoom = (room?: string) => (room ? `${room}:masked` : 'masked');

const leadPii = piiPaths(leadSchema);

/** The lead as a caller without `pii.read` sees it (the same masking as HTTP responses). */
export function maskLead(lead: Lead): Lead {
  return maskPii(lead, leadPii);
}

/**
 * Forwards lead events to the tenant's dashboards, and assignments to the agent's own room,
 * until the returned function unsubscribes; each also to its masked room, masked.
 */
export function forwardLeadEventsToRealtime(events: LeadEvents, realtime: Realtime): () => void {
  return events.subscribe(({ name, tenantId, lead }) => {
    if (!dashboardEvents.has(name)) return;
    const masked = maskLead(lead);
    realtime.emitToTenant(tenantId, name, lead);
    realtime.emitToTenantRoom(tenantId, maskedRoom(), name, masked);
    if (name === 'lead.assigned' && lead.assignedAgentId) {
      realtime.emitToTenantRoom(tenantId, agentRoom(lead.assignedAgentId), name, lead);
      realtime.emitToTenantRoom(tenantId, maskedRoom(agentRoom(lead.assignedAgentId)), name, masked);
    }
  });
}
