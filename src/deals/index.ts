// The deals component's public surface: other folders import from here only.
export type { DealStatus } from './deals.tables.js';
