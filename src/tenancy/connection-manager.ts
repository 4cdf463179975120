import type { Logger } from 'pino';
import type { DatabaseServer } from '../db/database-server.js';
import { loadSchemaChanges, migrateSchema } from '../db/migrate.js';
import type { ServerRegistry } from '../db/server-registry.js';
import type { TenantDb } from '../db/tenant-database.js';
import { LruCache } from './lru-cache.js';
import { schemaOf, type Tenant } from './tenant.js';
import { TenantMemo } from './tenant-memo.js';

/** Everything needed to work on one tenant's data. Queries reach the tenant only through `db`. */
export interface TenantHandle {
  readonly tenant: Tenant;
  readonly schema: string;
  /** Query builder bound to the tenant's schema. */
  readonly db: TenantDb;
  readonly server: DatabaseServer;
  /** Settings read on nearly every request, kept in process (see tenant-memo.ts). */
  readonly memo: TenantMemo;
}

export interface ConnectionManagerDeps {
  servers: ServerRegistry;
  /** The URL of a dedicated server for tenants whose data lives there. */
  dedicatedUrlOf: (tenant: Tenant) => Promise<string>;
  maxCachedTenants: number;
  logger: Logger;
}

/**
 * Resolves tenants to handles, lazily: the first use of a tenant in this process makes
 * sure its schema exists and is migrated; later uses hit an LRU cache. Concurrent first
 * uses share one opening (single-flight). Evicting a handle costs nothing but the
 * migration check on the next use: pools belong to servers, not tenants.
 */
export class TenantConnectionManager {
  private readonly cache: LruCache<string, TenantHandle>;
  private readonly opening = new Map<string, Promise<TenantHandle>>();

  constructor(private readonly deps: ConnectionManagerDeps) {
    this.cache = new LruCache(deps.maxCachedTenants);
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  /** The tenant's handle if it is open, without a lookup of the tenant. */
  cached(tenantId: string): TenantHandle | undefined {
    return this.cache.get(tenantId);
  }

  async resolve(tenant: Tenant): Promise<TenantHandle> {
    const cached = this.cache.get(tenant.id);
    if (cached) {
      // The tenant row may have changed (status, name); the schema and server do not.
      return cached.tenant.updatedAt.getTime() === tenant.updatedAt.getTime()
        ? cached
        : this.remember({ ...cached, tenant });
    }
    let pending = this.opening.get(tenant.id);
    if (!pending) {
      pending = this.open(tenant).finally(() => this.opening.delete(tenant.id));
      this.opening.set(tenant.id, pending);
    }
    return pending;
  }

  /** Handles a `tenantMemoChannel` notification; an empty payload (missed notices) clears all. */
  onMemoNotice(payload: string): void {
    const [tenantId, key] = payload.split(':');
    if (!tenantId) for (const handle of this.cache.values()) handle.memo.clear();
    else this.cache.get(tenantId)?.memo.clear(key);
  }

  /** Forgets a tenant (after it is deleted or moved). */
  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private async open(tenant: Tenant): Promise<TenantHandle> {
    const url = tenant.dataLocation === 'dedicated' ? await this.deps.dedicatedUrlOf(tenant) : null;
    const server = this.deps.servers.serverFor(url);
    const schema = schemaOf(tenant.clientCode);
    const applied = await migrateSchema(server.db, schema, loadSchemaChanges('tenant'));
    if (applied > 0) {
      this.deps.logger.info({ tenant: tenant.clientCode, schema, applied }, 'tenant schema migrated');
    }
    return this.remember({
      tenant,
      schema,
      server,
      db: server.db.withSchema(schema) as TenantDb,
      memo: new TenantMemo(),
    });
  }

  private remember(handle: TenantHandle): TenantHandle {
    this.cache.set(handle.tenant.id, handle);
    return handle;
  }
}
