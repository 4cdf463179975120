import type { TenantDb } from '../db/tenant-database.js';

export interface ActivityEntry {
  leadId: string;
  kind: string;
  actor: string | null;
  data?: Record<string, unknown>;
}

export async function recordActivity(db: TenantDb, entries: ActivityEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('lead_activities')
    .values(
      entries.map((entry) => ({
        lead_id: entry.leadId,
        kind: entry.kind,
        actor: entry.actor,
        data: JSON.stringify(entry.data ?? {}),
      })),
    )
    .execute();
}
