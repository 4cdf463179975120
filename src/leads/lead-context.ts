import type { Request } from 'express';
import type { AppServices } from '../app/services.js';
import type { Access, Actor } from '../auth/access.js';
import { callerOf } from '../http/request-context.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import type { LeadEvent, LeadEvents } from './lead-events.js';

/**
 * What every lead use case needs: the tenant, who acts (for the activity log), what they may
 * do (the leads their permissions reach: `Access.tenantWide()` for jobs, automations and
 * channels acting for the tenant), the event bus.
 */
export interface LeadContext {
  handle: TenantHandle;
  /** Who acts, for the activity log: a user, an API key, or the system (automations, jobs). */
  actor: Actor;
  access: Access;
  events: LeadEvents;
  /**
   * What the unit of work opens with besides the lead events: the queue, the realtime hub. A
   * component listening to the leads' and pipelines' record hooks (tasks) enqueues and emits
   * inside the lead's transaction.
   */
  services?: LeadUnitServices;
}

export type LeadUnitServices = Partial<Pick<AppServices, 'queue' | 'servers' | 'realtime' | 'logger'>>;

/** The dependencies a lead use case opens its unit of work with. */
export function leadUnitDeps(ctx: LeadContext) {
  return { ...ctx.services, leadEvents: ctx.events };
}

export function leadContextOf(req: Request, services: AppServices): LeadContext {
  const caller = callerOf(req);
  return {
    handle: caller.handle,
    actor: caller.actor,
    access: caller.access,
    events: services.leadEvents,
    services,
  };
}

/**
 * Runs a `…Within` use case in its own unit of work: what it returns, and its lead events
 * published after the commit.
 */
export function inLeadTransaction<T extends { events: LeadEvent[] }>(
  ctx: LeadContext,
  within: (trx: TenantDb) => Promise<T>,
): Promise<Omit<T, 'events'>> {
  return inTenantTransaction(leadUnitDeps(ctx), ctx.handle, async ({ trx, publish }) => {
    const { events, ...result } = await within(trx);
    publish(...events);
    return result;
  });
}
