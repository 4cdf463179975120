import { sql } from 'kysely';
import { platformSchema, type PlatformDb } from '../../db/platform-database.js';
import { AppError } from '../../http/app-error.js';

/** A table routing webhook ids (phone numbers, WABAs) to the one tenant that owns each. */
export interface RouteTable {
  table: 'whatsapp_numbers' | 'whatsapp_business_accounts';
  column: 'phone_number_id' | 'waba_id';
  conflict: (taken: string[]) => AppError;
}

const phoneNumbers: RouteTable = {
  table: 'whatsapp_numbers',
  column: 'phone_number_id',
  conflict: (taken) =>
    new AppError('conflict', 'A WhatsApp phone number id already belongs to another tenant', {
      details: { phoneNumberIds: taken },
    }),
};

const businessAccounts: RouteTable = {
  table: 'whatsapp_business_accounts',
  column: 'waba_id',
  conflict: ([wabaId]) =>
    new AppError('conflict', 'The WhatsApp Business Account id already belongs to another tenant', {
      details: { wabaId },
    }),
};

/** Where each kind of webhook id is registered (read by the webhook's route lookup). */
export const routeTables = { phoneNumber: phoneNumbers, waba: businessAccounts };

/**
 * Makes the `whatsapp` secret's numbers and WABA the tenant's routes (inside the caller's
 * transaction, the one that stores the secret). An id already routed to another tenant is a
 * conflict and rolls the whole change back.
 */
export async function registerWhatsAppRoutes(
  trx: PlatformDb,
  tenantId: string,
  config: { phoneNumberIds: string[]; wabaId: string },
): Promise<void> {
  await claimRoutes(trx, phoneNumbers, tenantId, config.phoneNumberIds);
  await claimRoutes(trx, businessAccounts, tenantId, [config.wabaId]);
}

/** Given to the tenant registry: the `whatsapp` secret's routes follow it in its own transaction. */
export const whatsappSecretHook = {
  written: (trx: PlatformDb, tenantId: string, value: Record<string, unknown>) =>
    registerWhatsAppRoutes(trx, tenantId, value as { phoneNumberIds: string[]; wabaId: string }),
  removed: (trx: PlatformDb, tenantId: string) => releaseWhatsAppRoutes(trx, tenantId),
};

/** Frees the tenant's numbers and WABA for other tenants (its `whatsapp` secret is being removed). */
export async function releaseWhatsAppRoutes(trx: PlatformDb, tenantId: string): Promise<void> {
  await claimRoutes(trx, phoneNumbers, tenantId, []);
  await claimRoutes(trx, businessAccounts, tenantId, []);
}

/** The tenant's routes in `route` become exactly `ids`; answers by throwing when another tenant holds one. */
async function claimRoutes(
  trx: PlatformDb,
  route: RouteTable,
  tenantId: string,
  ids: string[],
): Promise<void> {
  const table = sql.id(platformSchema, route.table);
  const column = sql.id(route.column);
  await sql`delete from ${table} where tenant_id = ${tenantId} and not (${column} = any(${ids}::text[]))`.execute(
    trx,
  );
  await sql`insert into ${table} (${column}, tenant_id) select unnest(${ids}::text[]), ${tenantId}
    on conflict (${column}) do nothing`.execute(trx);
  const { rows: taken } = await sql<{ id: string }>`select ${column} as id from ${table}
    where ${column} = any(${ids}::text[]) and tenant_id <> ${tenantId}`.execute(trx);
  if (taken.length > 0) throw route.conflict(taken.map((row) => row.id));
}
