import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';

/** Platform staff roles: `platform_admin` may do everything, `platform_support` reads and suspends. */
export type PlatformRole = 'platform_admin' | 'platform_support';
export const platformRoles = ['platform_admin', 'platform_support'] as const;

/** Who made a platform change, as `platform.audit_log` records it. */
export interface PlatformActor {
  type: 'staff_user' | 'admin_token' | 'cli';
  /** The staff user's id; null for the shared token and the CLI. */
  id: string | null;
  name: string;
}

/** What authentication learned about the caller of a platform route. */
export interface PlatformCaller {
  actor: PlatformActor;
  role: PlatformRole;
  /** The staff user's login session; null for the shared admin token. */
  sessionId: string | null;
}

/**
 * Platform staff, as platform authentication needs them: the staff component implements it
 * (plumbing imports no component; the composition root hands it over).
 */
export interface PlatformStaffPrincipals {
  /** The caller for a staff access token: session live, user active (read per request), or a 401. */
  authenticate(accessToken: string): Promise<PlatformCaller>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      platformCaller?: PlatformCaller;
    }
  }
}

/**
 * The CLI names the OS user running it when it goes through the platform API with the shared
 * token; the audit log then records a `cli` actor. Trusted only with the shared token, whose
 * holder may do everything anyway: it labels, it grants nothing.
 */
export const cliUserHeader = 'x-switchyard-cli-user';

const jwtShape = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Guards platform routes: `Authorization: Bearer $PLATFORM_ADMIN_TOKEN` (compared in constant
 * time; kept for automation, acts as `platform_admin`), or a platform staff member's access
 * token (POST /api/auth/platform/login). The caller is attached as `req.platformCaller`; each
 * route's `platformRole` then decides (src/http/api-router.ts).
 */
export function platformAuth(adminToken: string, staff?: PlatformStaffPrincipals): RequestHandler {
  const expected = digest(adminToken);
  return (req, _res, next) => {
    const header = singleHeader(req, 'authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (token && timingSafeEqual(digest(token), expected)) {
      req.platformCaller = adminTokenCaller(singleHeader(req, cliUserHeader));
      next();
      return;
    }
    if (!staff || !jwtShape.test(token)) {
      throw new AppError('unauthorized', 'A valid platform admin token or staff access token is required');
    }
    return staff.authenticate(token).then((caller) => {
      req.platformCaller = caller;
      next();
    });
  };
}

function adminTokenCaller(cliUser: string | undefined): PlatformCaller {
  const name = cliUser?.trim().slice(0, 100);
  return {
    actor: name
      ? { type: 'cli', id: null, name }
      : { type: 'admin_token', id: null, name: 'PLATFORM_ADMIN_TOKEN' },
    role: 'platform_admin',
    sessionId: null,
  };
}

export function platformCallerOf(req: Request): PlatformCaller {
  if (!req.platformCaller) throw new AppError('unauthorized', 'Authentication required');
  return req.platformCaller;
}

/** What each role may call: a route declaring `platform_support` is open to both roles. */
export function hasPlatformRole(caller: PlatformCaller, required: PlatformRole): boolean {
  return required === 'platform_support' || caller.role === 'platform_admin';
}

/** 403 unless the caller's role reaches `required`. */
export function requirePlatformRole(req: Request, required: PlatformRole): void {
  const caller = platformCallerOf(req);
  if (!hasPlatformRole(caller, required)) {
    throw new AppError('forbidden', `This needs the ${required} role`, {
      details: { requiredRole: required, role: caller.role },
    });
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
