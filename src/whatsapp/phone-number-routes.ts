import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';
import type { Tenant } from '../tenancy/tenant.js';
import { toTenant } from '../tenants/tenant.repository.js';

/**
 * Makes `phoneNumberIds` the tenant's numbers in the route table (inside the caller's
 * transaction, the one that stores the `whatsapp` secret). A number already routed to
 * another tenant is a conflict and rolls the whole change back.
 */
export async function registerPhoneNumbers(
  trx: PlatformDb,
  tenantId: string,
  phoneNumberIds: string[],
): Promise<void> {
  let removal = trx.deleteFrom('whatsapp_numbers').where('tenant_id', '=', tenantId);
  if (phoneNumberIds.length > 0) removal = removal.where('phone_number_id', 'not in', phoneNumberIds);
  await removal.execute();
  if (phoneNumberIds.length === 0) return;
  await trx
    .insertInto('whatsapp_numbers')
    .values(phoneNumberIds.map((id) => ({ phone_number_id: id, tenant_id: tenantId })))
    .onConflict((conflict) => conflict.column('phone_number_id').doNothing())
    .execute();
  const taken = await trx
    .selectFrom('whatsapp_numbers')
    .select('phone_number_id')
    .where('phone_number_id', 'in', phoneNumberIds)
    .where('tenant_id', '!=', tenantId)
    .execute();
  if (taken.length > 0) {
    throw new AppError('conflict', 'A WhatsApp phone number id already belongs to another tenant', {
      details: { phoneNumberIds: taken.map((row) => row.phone_number_id) },
    });
  }
}

/** The tenant each known phone number id routes to; unknown ids are absent. */
export async function tenantsByPhoneNumber(
  platform: PlatformDb,
  phoneNumberIds: string[],
): Promise<Map<string, Tenant>> {
  if (phoneNumberIds.length === 0) return new Map();
  const rows = await platform
    .selectFrom('whatsapp_numbers')
    .innerJoin('tenants', 'tenants.id', 'whatsapp_numbers.tenant_id')
    .selectAll('tenants')
    .select('whatsapp_numbers.phone_number_id')
    .where('whatsapp_numbers.phone_number_id', 'in', phoneNumberIds)
    .execute();
  return new Map(rows.map((row) => [row.phone_number_id, toTenant(row)]));
}

/**
 * Remembers found routes for `ttlMs` (the webhook's hot path then skips the services
 * database). Unknown numbers are never cached, so a newly registered number routes at
 * once; a number moved to another tenant may route to the old one for up to `ttlMs`.
 */
export class PhoneNumberRouteCache {
  private readonly routes = new Map<string, { tenant: Tenant; expiresAt: number }>();

  constructor(
    private readonly platform: PlatformDb,
    private readonly ttlMs: number,
  ) {}

  async lookup(phoneNumberIds: string[]): Promise<Map<string, Tenant>> {
    const now = Date.now();
    const found = new Map<string, Tenant>();
    const missing: string[] = [];
    for (const id of phoneNumberIds) {
      const cached = this.routes.get(id);
      if (cached && cached.expiresAt > now) found.set(id, cached.tenant);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    for (const [id, tenant] of await tenantsByPhoneNumber(this.platform, missing)) {
      found.set(id, tenant);
      if (this.ttlMs > 0) this.routes.set(id, { tenant, expiresAt: now + this.ttlMs });
    }
    return found;
  }
}

/** Tenants that have at least one routed number (their verify tokens answer the shared webhook). */
export async function tenantIdsWithNumbers(platform: PlatformDb): Promise<string[]> {
  const rows = await platform.selectFrom('whatsapp_numbers').select('tenant_id').distinct().execute();
  return rows.map((row) => row.tenant_id);
}
