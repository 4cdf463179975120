// The assignment component's public surface: other folders import from here only.
export { claimAgentSlot } from './agent-slot.js';
export type { SlotRefusal } from './agent-slot.js';
export { assignLead, previousOwnerOf, weightedRotation } from './assignment-engine.js';
export { claimAgentsFor, releaseClaims } from './batch-assignment.js';
export type { ClaimedAgent } from './batch-assignment.js';
export { activeAssignmentRules } from './rule.repository.js';
export type { Rule } from './rule.schemas.js';
