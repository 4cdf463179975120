/** `null`: any tenant may have changed (notifications were missed while the listener reconnected). */
export type TenantChangeListener = (tenantId: string | null) => void;

/**
 * Tenants whose status, keys or secrets changed, as `announceTenantChange` tells every process
 * (NOTIFY, delivered at commit): each cache of tenant data subscribes and drops what it holds
 * of them, instead of serving it until its TTL runs out.
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

  changed(tenantId: string | null): void {
    this.seen++;
    for (const listener of this.listeners) listener(tenantId);
  }
}
