import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';

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

/** Tenants that have at least one routed number (their verify tokens answer the shared webhook). */
export async function tenantIdsWithNumbers(platform: PlatformDb): Promise<string[]> {
  const rows = await platform.selectFrom('whatsapp_numbers').select('tenant_id').distinct().execute();
  return rows.map((row) => row.tenant_id);
}
