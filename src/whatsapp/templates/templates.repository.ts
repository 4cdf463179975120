import type { Selectable, Updateable } from 'kysely';
import { pageOf, type Keyset } from '../../http/pagination.js';
import type { TenantDb } from '../../db/tenant-database.js';
import type { GraphTemplate } from '../graph-api-client.js';
import type { WhatsAppTemplatesTable } from '../whatsapp.tables.js';

export type StoredTemplate = Selectable<WhatsAppTemplatesTable>;

/** How Meta's webhooks name a template: its id, and its name and language. */
export interface TemplateRef {
  templateId: string;
  name: string;
  language: string;
}

export interface TemplateStatusChange extends TemplateRef {
  status: string;
  reason: string | null;
  info: Record<string, unknown> | null;
  category: string | null;
  /** When Meta sent the change. */
  at: Date;
}

const whatsappTemplatesKeyset: Keyset = {
  list: 'whatsappTemplates',
  columns: [
    ['name', 'text'],
    ['language', 'text'],
  ],
  direction: 'asc',
};

/** The templates as last synced, by name and language, optionally of one status. */
export async function listTemplates(
  db: TenantDb,
  filter: { status?: string; limit: number; cursor?: string },
) {
  let select = db.selectFrom('whatsapp_templates').selectAll();
  if (filter.status) select = select.where('status', '=', filter.status);
  return pageOf(select, whatsappTemplatesKeyset, filter, (row) => ({
    name: row.name,
    language: row.language,
    templateId: row.template_id,
    status: row.status,
    statusReason: row.status_reason,
    statusInfo: row.status_info,
    qualityScore: row.quality_score,
    category: row.category,
    parameterFormat: row.parameter_format,
    components: row.components,
    syncedAt: row.synced_at,
  }));
}

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

/**
 * Stores what Meta lists now (`listedAt`: when the listing began) and deletes what it no
 * longer lists. A status a webhook set after the listing began is newer than the listing's,
 * so it stays, with its reason; a status the listing changes loses the webhook's reason.
 */
export async function replaceTemplates(db: TenantDb, templates: GraphTemplate[], listedAt: Date) {
  const syncedAt = new Date();
  await db.transaction().execute(async (trx) => {
    for (const template of templates) {
      const values = {
        template_id: template.id,
        status: template.status,
        category: template.category ?? null,
        parameter_format: template.parameter_format ?? null,
        components: JSON.stringify(template.components ?? []),
        synced_at: syncedAt,
      };
      await trx
        .insertInto('whatsapp_templates')
        .values({ name: template.name, language: template.language, ...values })
        .onConflict((conflict) =>
          conflict.columns(['name', 'language']).doUpdateSet((eb) => {
            const keepsStatus = eb.or([
              eb('whatsapp_templates.status_webhook_at', '>', listedAt),
              eb('whatsapp_templates.status', '=', eb.ref('excluded.status')),
            ]);
            const ifKept = eb.case().when(keepsStatus);
            return {
              ...values,
              status: ifKept.then(eb.ref('whatsapp_templates.status')).else(eb.ref('excluded.status')).end(),
              status_reason: ifKept.then(eb.ref('whatsapp_templates.status_reason')).else(null).end(),
              status_info: ifKept.then(eb.ref('whatsapp_templates.status_info')).else(null).end(),
            };
          }),
        )
        .execute();
    }
    await trx
      .deleteFrom('whatsapp_templates')
      .where('synced_at', '<', syncedAt)
      .where((eb) => eb.or([eb('status_webhook_at', 'is', null), eb('status_webhook_at', '<=', listedAt)]))
      .execute();
  });
}

/**
 * Sets a template's status from a webhook, unless a later webhook already did (Meta does not
 * promise order). A template not synced yet gets a row from what the webhook says, without
 * components until the next sync: a CRM user who sees a new template approved in WhatsApp
 * Manager expects to use it at once, not after tomorrow's sync. Answers the stored row, or
 * undefined when the change was older than the stored status.
 */
export async function applyTemplateStatus(
  db: TenantDb,
  change: TemplateStatusChange,
): Promise<StoredTemplate | undefined> {
  const key = await templateKey(db, change);
  const status = {
    status: change.status,
    status_reason: change.reason,
    status_info: change.info && JSON.stringify(change.info),
    status_webhook_at: change.at,
  };
  return db
    .insertInto('whatsapp_templates')
    .values({
      ...key,
      template_id: change.templateId,
      category: change.category,
      components: '[]',
      ...status,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['name', 'language'])
        .doUpdateSet((eb) => ({
          ...status,
          category: eb.fn.coalesce('excluded.category', 'whatsapp_templates.category'),
        }))
        .where((eb) =>
          eb.or([
            eb('whatsapp_templates.status_webhook_at', 'is', null),
            eb('whatsapp_templates.status_webhook_at', '<=', change.at),
          ]),
        ),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Updates the stored template a webhook refers to (nothing when it has not been synced). */
export async function updateTemplate(
  db: TenantDb,
  ref: TemplateRef,
  values: Updateable<WhatsAppTemplatesTable>,
): Promise<void> {
  const key = await templateKey(db, ref);
  await db
    .updateTable('whatsapp_templates')
    .set(values)
    .where('name', '=', key.name)
    .where('language', '=', key.language)
    .execute();
}

/** The stored template's key: found by Meta's id, else its name and language (stored or not). */
async function templateKey(db: TenantDb, ref: TemplateRef): Promise<{ name: string; language: string }> {
  const byId = await db
    .selectFrom('whatsapp_templates')
    .select(['name', 'language'])
    .where('template_id', '=', ref.templateId)
    .executeTakeFirst();
  // Meta's webhook reference writes locales as en-US, its template API (our copy) as en_US.
  return byId ?? { name: ref.name, language: ref.language.replaceAll('-', '_') };
}
