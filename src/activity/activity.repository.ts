import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';

export interface ActivityEntry {
  leadId: string;
  kind: string;
  actor: string | null;
  data?: Record<string, unknown>;
}

/** One statement whose text does not grow with the number of entries (see `insertNewLeads`). */
export async function recordActivity(db: TenantDb, entries: ActivityEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const records = entries.map((entry) => ({
    lead_id: entry.leadId,
    kind: entry.kind,
    actor: entry.actor,
    data: entry.data ?? {},
  }));
  await db
    .insertInto('lead_activities')
    .columns(['lead_id', 'kind', 'actor', 'data'])
    .expression(
      sql`select lead_id, kind, actor, data
        from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r (lead_id uuid, kind text, actor text, data jsonb)`,
    )
    .execute();
}
