import type { Request } from 'express';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { AppError } from './app-error.js';

/** What authentication learned about the caller of a tenant route. */
export interface TenantCaller {
  handle: TenantHandle;
  apiKey: { id: string; label: string; scopes: string[] };
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
