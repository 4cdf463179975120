import { LruCache } from './lru-cache.js';
import type { TenantChanges } from './tenant-changes.js';

interface Entry<V> {
  value: V;
  tenantId: string;
  expiresAt: number;
}

/**
 * Values read about tenants (verified API keys, webhook routes, app secrets), kept for `ttlMs`
 * and dropped as soon as their tenant changes (`TenantChanges`). A value whose read a change
 * overtook is returned but not kept: it may predate the change.
 */
export class TenantCache<K, V> {
  private readonly entries: LruCache<K, Entry<V>>;

  constructor(
    private readonly changes: TenantChanges,
    private readonly options: { ttlMs: number; max: number; tenantOf: (value: V) => string },
  ) {
    this.entries = new LruCache(options.max);
    changes.subscribe((tenantId) =>
      tenantId === null
        ? this.entries.clear()
        : this.entries.deleteWhere((entry) => entry.tenantId === tenantId),
    );
  }

  /** The value kept under `key`, unless it expired. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > Date.now() ? entry.value : undefined;
  }

  /** Taken before a read, and handed to `set` with what it read. */
  readStart(): number {
    return this.changes.version;
  }

  set(key: K, value: V, readStart: number): void {
    if (this.options.ttlMs <= 0 || readStart !== this.changes.version) return;
    const tenantId = this.options.tenantOf(value);
    this.entries.set(key, { value, tenantId, expiresAt: Date.now() + this.options.ttlMs });
  }

  /** The kept value, or what `load` reads (kept unless null; a failed load keeps nothing). */
  async getOrLoad<Loaded extends V | null>(key: K, load: () => Promise<Loaded>): Promise<V | Loaded> {
    const kept = this.get(key);
    if (kept !== undefined) return kept;
    const readStart = this.readStart();
    const value = await load();
    if (value !== null) this.set(key, value as V, readStart);
    return value;
  }
}
