import { sql } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';

/** Every process LISTENs here: a tenant's status, limits, keys or secrets changed (payload: its id). */
export const tenantChangesChannel = 'switchyard_tenant_changed';

/** `null`: any tenant may have changed (notifications were missed while the listener reconnected). */
export type TenantChangeListener = (tenantId: string | null) => void;

/** Marks a tenant changed by the transaction it is given to (see `TenantChanges.inTransaction`). */
export type AnnounceTenantChange = (tenantId: string) => Promise<void>;

/**
 * Tenants whose status, keys, secrets, users or sessions changed: each cache of tenant data
 * subscribes and drops what it holds of them, instead of serving it until its TTL runs out.
 * Other processes learn it by NOTIFY (delivered at commit); the process that made the change
 * applies it itself as soon as it committed, because its own notification arrives on the
 * listener's connection later, maybe after the client's next request (a suspended tenant's
 * token was served once more that way under load).
 */
export class TenantChanges {
  private readonly listeners = new Set<TenantChangeListener>();
  private seen = 0;

  /** Counts the changes seen (`TenantCache` keeps a read only if no change overtook it). */
  get version(): number {
    return this.seen;
  }

  subscribe(listener: TenantChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A change seen: this process's own, or another's notification. */
  changed(tenantId: string | null): void {
    this.seen++;
    for (const listener of this.listeners) listener(tenantId);
  }

  /**
   * Runs `work` in one platform transaction; every tenant it announces is told to every process
   * at commit and dropped from this process's caches before this returns.
   */
  async inTransaction<T>(
    platform: PlatformDb,
    work: (trx: PlatformDb, announce: AnnounceTenantChange) => Promise<T>,
  ): Promise<T> {
    const announced = new Set<string>();
    const result = await platform.transaction().execute((trx) =>
      work(trx, async (tenantId) => {
        announced.add(tenantId);
        await notifyTenantChange(trx, tenantId);
      }),
    );
    for (const tenantId of announced) this.changed(tenantId);
    return result;
  }

  /** After a committed change made outside `inTransaction`: every process, this one at once. */
  async announce(platform: PlatformDb, tenantId: string): Promise<void> {
    await notifyTenantChange(platform, tenantId);
    this.changed(tenantId);
  }
}

async function notifyTenantChange(db: PlatformDb, tenantId: string): Promise<void> {
  await sql`select pg_notify(${tenantChangesChannel}, ${tenantId})`.execute(db);
}
