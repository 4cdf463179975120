// The tenants component's public surface: other folders import from here only.
export type { SecretValue } from './secret-kinds.js';
export { recordPlatformChange, type PlatformAction } from './platform-audit.js';
