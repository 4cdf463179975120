import type { TenantDb } from '../db/tenant-database.js';

/** The synced status of a template (null when no such template was synced). */
export async function templateStatus(db: TenantDb, name: string, language: string): Promise<string | null> {
  const row = await db
    .selectFrom('whatsapp_templates')
    .select('status')
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
  return row?.status ?? null;
}
