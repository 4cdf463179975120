// The agents component's public surface: other folders import from here only.
export { unknownAgentIds } from './agent.repository.js';
export { assertAgentsExist } from './assert-agents-exist.js';
