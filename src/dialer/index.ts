// The dialer component's public surface: other folders import from here only.
export { queueLeadsWithin, type QueueLeadsRequest } from './queue-leads.js';
export { runDialerTick, type TickResult } from './dialer-tick.js';
export {
  callPriorities,
  queueEntryStatuses,
  type CallPriority,
  type QueueEntryStatus,
} from './dialer.tables.js';
