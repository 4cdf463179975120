import { sql } from 'kysely';
import type { TenantHandle } from '../tenancy/connection-manager.js';

/**
 * The one place the automations engine asks the channels component about WhatsApp
 * templates. The channels component syncs approved templates into the tenant's
 * `whatsapp_templates` table (name, language, status). Until that table exists in the
 * tenant's schema, no template can be checked and every name is accepted (the send job
 * then fails with `channel_not_configured`); once it exists, only an APPROVED template
 * of that name and language passes. Integrator: replace the body with the channels'
 * own lookup if it grows one.
 */
export async function templateExists(handle: TenantHandle, name: string, language: string): Promise<boolean> {
  const table = `"${handle.schema.replaceAll('"', '""')}".whatsapp_templates`;
  const found = await sql<{ exists: boolean }>`select to_regclass(${table}) is not null as exists`.execute(
    handle.db,
  );
  if (!found.rows[0]?.exists) return true;
  const row = await sql<{ status: string }>`
    select status from ${sql.id(handle.schema, 'whatsapp_templates')}
    where name = ${name} and language = ${language}`.execute(handle.db);
  return row.rows.some((template) => template.status.toUpperCase() === 'APPROVED');
}
