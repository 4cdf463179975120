import type { TenantDb } from '../db/tenant-database.js';

/** The synced status of a tenant's WhatsApp template (e.g. APPROVED, PENDING), or null when unknown. */
export async function templateStatus(db: TenantDb, name: string, language: string): Promise<string | null> {
  const template = await db
    .selectFrom('whatsapp_templates')
    .select('status')
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
  return template?.status ?? null;
}
