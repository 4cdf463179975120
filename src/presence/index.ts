// The presence component's public surface: other folders import from here only.
export { presenceComponent } from './presence.component.js';
export {
  agentPresence,
  listPresence,
  onlineAt,
  openCallStatuses,
  presenceOf,
  presences,
  type AgentPresence,
  type Presence,
  type PresenceFacts,
} from './presence.js';
export { endWrapUp, setPresenceSetting, startWrapUp } from './presence-writes.js';
export {
  announcePresence,
  emitPresence,
  presenceEvent,
  publishPresence,
  type PresenceRealtime,
} from './presence-events.js';
export {
  availableAgentsQuery,
  countAvailableAgents,
  listAvailableAgents,
  type AvailabilityClock,
  type AvailableAgent,
} from './available-agents.js';
export type { PresenceSetting } from './presence.tables.js';
