import type { Tenant } from '../../tenancy/tenant.js';
import type { Routes } from './webhook-route-cache.js';
import type { SplitChanges, StoredChange } from './webhook-payload.js';

export interface TenantShare {
  tenant: Tenant;
  changes: StoredChange[];
}

export interface RoutedDelivery {
  shares: TenantShare[];
  /** Phone number ids nobody owns (or, on a tenant's own path, another tenant owns). */
  unknownPhoneNumberIds: string[];
  /** WABA ids nobody owns (or, on a tenant's own path, another tenant owns). */
  unknownWabaIds: string[];
  /** Changes left with no tenant. */
  dropped: number;
}

/**
 * Gives each change to its tenant: by phone number, or for an account-level change by its
 * WABA. On a tenant's own path (`ownTenant`) its app speaks for that tenant only: another
 * tenant's number or WABA is dropped, and an account-level change of a WABA nobody has
 * registered falls back to that tenant.
 */
export function routeChanges(split: SplitChanges, routes: Routes, ownTenant: Tenant | null): RoutedDelivery {
  const shares = new Map<string, TenantShare>();
  const routed: RoutedDelivery = { shares: [], unknownPhoneNumberIds: [], unknownWabaIds: [], dropped: 0 };
  const give = (tenant: Tenant | undefined, changes: StoredChange[]) => {
    if (!tenant) {
      routed.dropped += changes.length;
      return false;
    }
    const share = shares.get(tenant.id);
    if (share) share.changes.push(...changes);
    else shares.set(tenant.id, { tenant, changes: [...changes] });
    return true;
  };
  const ownOrNone = (tenant: Tenant | undefined) =>
    ownTenant && tenant && tenant.id !== ownTenant.id ? undefined : tenant;

  for (const [phoneNumberId, changes] of split.byPhoneNumber) {
    if (!give(ownOrNone(routes.phoneNumber.get(phoneNumberId)), changes)) {
      routed.unknownPhoneNumberIds.push(phoneNumberId);
    }
  }
  for (const [wabaId, changes] of split.byWaba) {
    const owner = wabaId === null ? undefined : routes.waba.get(wabaId);
    if (!give(owner ? ownOrNone(owner) : (ownTenant ?? undefined), changes) && wabaId !== null) {
      routed.unknownWabaIds.push(wabaId);
    }
  }
  routed.shares = [...shares.values()];
  return routed;
}
