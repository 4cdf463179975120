import { sql } from 'kysely';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';

/** Appends entries to a deal's timeline and marks its last activity (rotting counts from it). */
export async function recordDealActivity(
  trx: TenantDb,
  dealId: string,
  actor: Actor | null,
  kind: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await trx
    .insertInto('deal_activities')
    .values({ deal_id: dealId, kind, ...actorColumns(actor), data: JSON.stringify(data) })
    .execute();
  await trx
    .updateTable('deals')
    .set({ last_activity_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', dealId)
    .execute();
}
