import type { TenantDb } from '../db/tenant-database.js';

/** Test-only: a template as the daily sync would store it, with the given status. */
export async function syncedTemplate(
  db: TenantDb,
  name: string,
  language: string,
  status = 'APPROVED',
): Promise<void> {
  await db
    .insertInto('whatsapp_templates')
    .values({
      name,
      language,
      template_id: `tpl-${name}-${language}`,
      status,
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      components: JSON.stringify([{ type: 'BODY', text: 'Hello {{1}}' }]),
    })
    .execute();
}
