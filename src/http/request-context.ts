import type { Request } from 'express';
import type { Access, Actor } from '../auth/access.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { AppError } from './app-error.js';

/** A user who logged in (or whom an API key acts as). */
export interface CallerUser {
  id: string;
  ref: string;
  name: string;
  email: string;
  role: string;
  agentId: string | null;
  /** The login session, for a user's access token (null when an API key acts as the user). */
  sessionId: string | null;
}

/** What authentication learned about the caller of a tenant route. */
export interface TenantCaller {
  handle: TenantHandle;
  /** The API key used, or null for a user's access token. */
  apiKey: { id: string; label: string; scopes: string[] } | null;
  /** The user acting: the access token's, or the one an API key acts as; null for a key acting as the tenant. */
  user: CallerUser | null;
  /** The route families the caller may call (`crm`, `automations`, `*`). */
  scopes: string[];
  /** Permissions and the leads they reach: every read and write of records applies it. */
  access: Access;
  /** Who acts, for the activity log. */
  actor: Actor;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      caller?: TenantCaller;
    }
  }
}

export function callerOf(req: Request): TenantCaller {
  if (!req.caller) throw new AppError('unauthorized', 'Authentication required');
  return req.caller;
}

/** A caller who changes records: who they are, what they may do, and their own agent profile (a user who sells). */
export interface ActingCaller {
  handle: TenantCaller['handle'];
  actor: TenantCaller['actor'];
  access: TenantCaller['access'];
  /** The default owner of what they create without naming one. */
  ownAgentId: string | null;
}

export function actingCallerOf(req: Request): ActingCaller {
  const caller = callerOf(req);
  return {
    handle: caller.handle,
    actor: caller.actor,
    access: caller.access,
    ownAgentId: caller.user?.agentId ?? null,
  };
}
