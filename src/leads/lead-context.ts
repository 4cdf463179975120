import type { Request } from 'express';
import type { AppServices } from '../app/services.js';
import { callerOf } from '../http/request-context.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { LeadEvents } from './lead-events.js';

/** What every lead use case needs: the tenant, who acts (for the activity log), the event bus. */
export interface LeadContext {
  handle: TenantHandle;
  actor: string | null;
  events: LeadEvents;
}

export function leadContextOf(req: Request, services: AppServices): LeadContext {
  const caller = callerOf(req);
  return { handle: caller.handle, actor: caller.apiKey.label, events: services.leadEvents };
}
