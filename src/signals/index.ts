// The signals component's public surface: other folders import from here only.
export { openSignalWithin, resolveRepliedWithin } from './signal-changes.js';
export type { OpenedSignal, SignalInbound, SignalServices } from './signal-changes.js';
export { signalRef, toSignal } from './signal.mapper.js';
export type { Signal } from './signal.schemas.js';
export type { SignalType } from './signals.tables.js';
