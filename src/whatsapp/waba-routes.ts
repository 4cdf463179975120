import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';

/**
 * Makes `wabaId` the tenant's WhatsApp Business Account in the route table (inside the
 * caller's transaction, the one that stores the `whatsapp` secret). A WABA already routed to
 * another tenant is a conflict and rolls the whole change back.
 */
export async function registerWaba(trx: PlatformDb, tenantId: string, wabaId: string): Promise<void> {
  await trx
    .deleteFrom('whatsapp_business_accounts')
    .where('tenant_id', '=', tenantId)
    .where('waba_id', '!=', wabaId)
    .execute();
  await trx
    .insertInto('whatsapp_business_accounts')
    .values({ waba_id: wabaId, tenant_id: tenantId })
    .onConflict((conflict) => conflict.column('waba_id').doNothing())
    .execute();
  const owner = await trx
    .selectFrom('whatsapp_business_accounts')
    .select('tenant_id')
    .where('waba_id', '=', wabaId)
    .executeTakeFirstOrThrow();
  if (owner.tenant_id !== tenantId) {
    throw new AppError('conflict', 'The WhatsApp Business Account id already belongs to another tenant', {
      details: { wabaId },
    });
  }
}
