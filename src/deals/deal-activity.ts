import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';

/** Appends an entry to a deal's timeline (`deal_activities`): what happened (`kind`), by whom, with its data. */
export async function recordDealActivity(
  db: TenantDb,
  entry: { dealId: string; kind: string; actor: Actor | null; data: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('deal_activities')
    .values({
      deal_id: entry.dealId,
      kind: entry.kind,
      ...actorColumns(entry.actor),
      data: JSON.stringify(entry.data),
    })
    .execute();
}
