import { sql } from 'kysely';
import { platformSchema, type PlatformDb } from '../../db/platform-database.js';
import { toTenant, type Tenant } from '../../tenancy/tenant.js';
import { TenantCache } from '../../tenancy/tenant-cache.js';
import type { TenantChanges } from '../../tenancy/tenant-changes.js';
import { routeTables } from './route-registration.js';

/** What routes a webhook change: its phone number, or for an account-level change its WABA. */
export type RouteKind = 'phoneNumber' | 'waba';
export type RouteIds = Record<RouteKind, string[]>;
export type Routes = Record<RouteKind, Map<string, Tenant>>;

const routeKinds: RouteKind[] = ['phoneNumber', 'waba'];
const noRoutes = (): Routes => ({ phoneNumber: new Map(), waba: new Map() });

/** The tenants that `ids` of one kind route to, each row with its kind and id. */
function routeQuery(platform: PlatformDb, kind: RouteKind, ids: string[]) {
  const { table, column } = routeTables[kind];
  const route = sql<{ tenant_id: string }>`${sql.id(platformSchema, table)}`.as('route');
  return platform
    .selectFrom(route)
    .innerJoin('tenants', 'tenants.id', 'route.tenant_id')
    .selectAll('tenants')
    .select([sql.lit<RouteKind>(kind).as('kind'), sql.ref<string>(`route.${column}`).as('route_id')])
    .where(sql.ref(`route.${column}`), 'in', ids);
}

/** The tenant each known id routes to, in one query whatever kinds are asked; unknown ids are absent. */
export async function findRoutes(platform: PlatformDb, ids: RouteIds): Promise<Routes> {
  const [numbers, wabas] = routeKinds.map((kind) =>
    ids[kind].length > 0 ? routeQuery(platform, kind, ids[kind]) : undefined,
  );
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
  private readonly cached: Record<RouteKind, TenantCache<string, Tenant>>;

  constructor(
    private readonly platform: PlatformDb,
    ttlMs: number,
    changes: TenantChanges,
  ) {
    const cache = () =>
      new TenantCache<string, Tenant>(changes, { ttlMs, max: 100_000, tenantOf: (tenant) => tenant.id });
    this.cached = { phoneNumber: cache(), waba: cache() };
  }

  async lookup(ids: RouteIds): Promise<Routes> {
    const found = noRoutes();
    const missing: RouteIds = { phoneNumber: [], waba: [] };
    for (const kind of routeKinds) {
      for (const id of ids[kind]) {
        const tenant = this.cached[kind].get(id);
        if (tenant) found[kind].set(id, tenant);
        else missing[kind].push(id);
      }
    }
    if (missing.phoneNumber.length === 0 && missing.waba.length === 0) return found;
    const readStart = this.cached.phoneNumber.readStart(); // both kinds follow the same changes
    const fetched = await findRoutes(this.platform, missing);
    for (const kind of routeKinds) {
      for (const [id, tenant] of fetched[kind]) {
        found[kind].set(id, tenant);
        this.cached[kind].set(id, tenant, readStart);
      }
    }
    return found;
  }
}
