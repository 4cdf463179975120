import type { TenantDb } from '../db/tenant-database.js';
import { unitOfTransaction, type OpenUnit } from './unit-of-work.js';

/**
 * What a component's writes announce to other components inside the writing transaction, where
 * importing the listener would make an import cycle (a stage entry or a lead's follow-up date makes
 * tasks; tasks read leads and deals). The announcing component adds each hook's name and event type
 * here by declaration merging:
 *
 *     declare module '../tenancy/record-hooks.js' {
 *       interface RecordHooks { 'pipelines.stage_entered': StageEntered[] }
 *     }
 *
 * A listening component lists its handlers in its `Component.recordHooks`; the composition root
 * registers them. A handler runs in the announcer's unit of work: what it writes commits or rolls
 * back with the announcer's change.
 */
// Empty on purpose: declaration merging needs an interface, and the components fill it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RecordHooks {}

export type RecordHookName = keyof RecordHooks & string;

export type RecordHookHandler<K extends RecordHookName> = (
  open: OpenUnit,
  event: RecordHooks[K],
) => Promise<void>;

export type RecordHookHandlers = { [K in RecordHookName]?: RecordHookHandler<K> };

type AnyHandler = (open: OpenUnit, event: any) => Promise<void>;

const registry = new Map<string, Set<AnyHandler>>();

/** Adds a component's handlers (once each: registering the same function again does nothing). */
export function registerRecordHooks(handlers: RecordHookHandlers): void {
  for (const [name, handler] of Object.entries(handlers)) {
    if (!handler) continue;
    const set = registry.get(name) ?? new Set();
    set.add(handler as AnyHandler);
    registry.set(name, set);
  }
}

/** Whether anything listens to `name` (an announcer may skip preparing an event nobody reads). */
export function isHeard(name: RecordHookName): boolean {
  return (registry.get(name)?.size ?? 0) > 0;
}

/**
 * Runs the handlers of `name` on `event` in the unit of work whose transaction `trx` is. Throws when
 * a handler listens and `trx` belongs to no unit of work (a programming error: the handler could
 * not enqueue or act after the commit).
 */
export async function announce<K extends RecordHookName>(
  trx: TenantDb,
  name: K,
  event: RecordHooks[K],
): Promise<void> {
  const handlers = registry.get(name);
  if (!handlers || handlers.size === 0) return;
  const open = unitOfTransaction(trx);
  if (!open) throw new Error(`${name} was announced outside a unit of work`);
  for (const handler of handlers) await handler(open, event);
}
