import { sql } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';
import type { Tenant } from '../tenancy/tenant.js';
import type { TenantChanges } from '../tenants/tenant-changes.js';
import { toTenant } from '../tenants/tenant.repository.js';

/** What routes a webhook change: its phone number, or for an account-level change its WABA. */
export type RouteKind = 'phoneNumber' | 'waba';
export type RouteIds = Record<RouteKind, string[]>;
export type Routes = Record<RouteKind, Map<string, Tenant>>;

const routeKinds: RouteKind[] = ['phoneNumber', 'waba'];
const noRoutes = (): Routes => ({ phoneNumber: new Map(), waba: new Map() });

/** The tenant each known id routes to, in one query whatever kinds are asked; unknown ids are absent. */
export async function findRoutes(platform: PlatformDb, ids: RouteIds): Promise<Routes> {
  const numbers =
    ids.phoneNumber.length > 0
      ? platform
          .selectFrom('whatsapp_numbers as route')
          .innerJoin('tenants', 'tenants.id', 'route.tenant_id')
          .selectAll('tenants')
          .select([sql.lit<RouteKind>('phoneNumber').as('kind'), 'route.phone_number_id as route_id'])
          .where('route.phone_number_id', 'in', ids.phoneNumber)
      : undefined;
  const wabas =
    ids.waba.length > 0
      ? platform
          .selectFrom('whatsapp_business_accounts as route')
          .innerJoin('tenants', 'tenants.id', 'route.tenant_id')
          .selectAll('tenants')
          .select([sql.lit<RouteKind>('waba').as('kind'), 'route.waba_id as route_id'])
          .where('route.waba_id', 'in', ids.waba)
      : undefined;
  const query = numbers && wabas ? numbers.unionAll(wabas) : (numbers ?? wabas);
  const routes = noRoutes();
  for (const row of query ? await query.execute() : []) routes[row.kind].set(row.route_id, toTenant(row));
  return routes;
}

/**
 * Remembers found routes for `ttlMs` (the webhook's hot path then skips the services
 * database). Unknown ids are never cached, so a newly registered number or WABA routes at
 * once; a tenant's routes are forgotten when it changes, so one moved to another tenant or
 * removed stops routing to the old one as soon as the change is announced.
 */
export class WebhookRouteCache {
  private readonly cached: Record<RouteKind, Map<string, { tenant: Tenant; expiresAt: number }>> = {
    phoneNumber: new Map(),
    waba: new Map(),
  };

  constructor(
    private readonly platform: PlatformDb,
    private readonly ttlMs: number,
    private readonly changes: TenantChanges,
  ) {
    changes.subscribe((tenantId) => this.forget(tenantId));
  }

  /** Drops the routes to `tenantId`, or every route for `null`. */
  private forget(tenantId: string | null): void {
    for (const kind of routeKinds) {
      for (const [id, { tenant }] of this.cached[kind]) {
        if (tenantId === null || tenant.id === tenantId) this.cached[kind].delete(id);
      }
    }
  }

  async lookup(ids: RouteIds): Promise<Routes> {
    const now = Date.now();
    const found = noRoutes();
    const missing: RouteIds = { phoneNumber: [], waba: [] };
    for (const kind of routeKinds) {
      for (const id of ids[kind]) {
        const hit = this.cached[kind].get(id);
        if (hit && hit.expiresAt > now) found[kind].set(id, hit.tenant);
        else missing[kind].push(id);
      }
    }
    if (missing.phoneNumber.length === 0 && missing.waba.length === 0) return found;
    const version = this.changes.version;
    const fetched = await findRoutes(this.platform, missing);
    const cache = this.ttlMs > 0 && version === this.changes.version;
    for (const kind of routeKinds) {
      for (const [id, tenant] of fetched[kind]) {
        found[kind].set(id, tenant);
        if (cache) this.cached[kind].set(id, { tenant, expiresAt: now + this.ttlMs });
      }
    }
    return found;
  }
}
