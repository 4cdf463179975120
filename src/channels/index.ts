// The channels component's public surface: other folders import from here only.
export { recordChannelHealth } from './channel-health.js';
