// The agents component's public surface: other folders import from here only.
export { findAgents, unknownAgentIds } from './agent.repository.js';
export type { Agent } from './agent.schemas.js';
export { assertAgentsExist } from './assert-agents-exist.js';
