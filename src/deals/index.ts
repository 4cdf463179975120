// The deals component's public surface: other folders import from here only.
export type { DealStatus } from './deals.tables.js';
export { recordDealActivity } from './deal-activity.js';
export { dealRef, toDeal } from './deal.mapper.js';
export type { DealRow } from './deal.mapper.js';
export { dealRotting, findDealRow, selectDeals } from './deal.repository.js';
export { currencySchema, dealIdParams, dealSchema, dealStatuses, minorUnitsSchema } from './deal.schemas.js';
export type { Deal } from './deal.schemas.js';
export { createDealWithin, emitDealEvents, insertDealNote, moveDealWithin } from './deal-changes.js';
export type { DealContext, DealEmit, DealMoveRequest } from './deal-changes.js';
export { convertDealSchema } from './deal.schemas.js';
export type { ConvertDealInput } from './deal.schemas.js';
export type { DealFollowUpChanged } from './follow-up-changed.js';
