import type { LeadEvent } from '../../leads/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import type { EventResult } from '../engine/event.schemas.js';
import {
  loadEngineSettings,
  runEventWithin,
  type EngineServices,
  type EngineSettings,
} from '../engine/handle-event.js';
import type { InternalTrigger } from '../rules/triggers.js';

export interface InternalTriggerEvent {
  trigger: InternalTrigger;
  /** The lead the rules act on (a deal's lead, a contact's lead); null: actions needing a lead fail `no_lead`. */
  leadId: string | null;
  variables: Record<string, unknown>;
  /** Idempotency key (`deal_rotting:<dealId>:<date>`): the same key fires once. Null: every call fires. */
  key?: string | null;
  source?: 'internal' | 'cron';
}

/**
 * Fires an internal trigger of a record other than a lead's own lifecycle (deal won, stage changed,
 * quotation accepted, rotting) inside the caller's unit of work: the rules run in the transaction
 * that made the change, so the event exists exactly when the change does (no outbox row needed).
 * A trigger no active rule listens to costs nothing (the rules are memoised per tenant).
 * `settings`: the tenant's engine settings, loaded before the unit opened (`loadEngineSettings`).
 * Without them they are loaded here, through the tenant's pool, not the unit's transaction: on
 * PGlite (one connection, held by the unit) that waits forever when the memo is cold, so a
 * caller that may run on PGlite passes them.
 */
export async function fireInternalTrigger(
  unit: TenantUnitOfWork<LeadEvent>,
  services: EngineServices,
  handle: TenantHandle,
  event: InternalTriggerEvent,
  preloaded?: EngineSettings,
): Promise<EventResult | null> {
  const settings = preloaded ?? (await loadEngineSettings(handle));
  if (!settings.automationRules.some((rule) => rule.trigger === event.trigger)) return null;
  return runEventWithin(unit, services, handle, settings, {
    trigger: event.trigger,
    source: event.source ?? 'internal',
    key: event.key ?? null,
    leadId: event.leadId,
    variables: event.variables,
  });
}
