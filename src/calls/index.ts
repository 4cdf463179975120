// The calls component's public surface: other folders import from here only.
export { lockAgentChoice } from './bridge-call.js';
export { telephonyAppError } from './call-actions.js';
export { callRef, toCall } from './call.mapper.js';
export type { CallRow } from './call.mapper.js';
export type { Call } from './call.schemas.js';
export type { CallEnded } from './call-status.js';
export { finalStatuses, openStatuses } from './call-state.js';
export type { CallServices } from './call-services.js';
export { dialRecordedCall, placeCall, recordOutboundCall, type PlaceCallInput } from './place-call.js';
export type { CallOutcome, CallStatus } from './calls.tables.js';
export { reconcileStaleCalls } from './reconcile-calls.js';
