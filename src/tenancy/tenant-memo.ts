import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { Tenant } from './tenant.js';

/** NOTIFY channel for "a tenant's memoised value changed"; payload `<tenantId>:<key>`. */
export const tenantMemoChannel = 'switchyard_tenant_memo';

/**
 * Backstop only: writes clear the entry at once in this process and, through a NOTIFY
 * delivered at commit, in every other process; this bounds staleness if one is missed.
 */
const maxAgeMs = 60_000;

/**
 * A tenant's rarely written values that nearly every request reads (scoring weights,
 * assignment rules, automation rules), kept in process. Concurrent first reads share one load.
 */
export class TenantMemo {
  private readonly entries = new Map<string, { value: Promise<unknown>; loadedAt: number }>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry && Date.now() - entry.loadedAt < maxAgeMs) return entry.value as Promise<T>;
    const value = load();
    const loaded = { value, loadedAt: Date.now() };
    this.entries.set(key, loaded);
    // A failed load is not remembered (unless a newer load replaced it meanwhile).
    value.catch(() => {
      if (this.entries.get(key) === loaded) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets one key, or everything when no key is given. */
  clear(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}

/**
 * Call after writing what `key` memoises, inside the writing transaction if there is one:
 * forgets it here now, and (NOTIFY is delivered at commit) in every process, this one
 * included, which also drops a value a concurrent reader loaded before the commit.
 */
export async function forgetTenantValue(
  db: TenantDb,
  handle: { tenant: Tenant; memo: TenantMemo },
  key: string,
): Promise<void> {
  await sql`select pg_notify(${tenantMemoChannel}, ${`${handle.tenant.id}:${key}`})`.execute(db);
  handle.memo.clear(key);
}
