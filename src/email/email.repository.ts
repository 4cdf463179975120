import type { Insertable, Selectable, Updateable } from 'kysely';
import { pageOf, type Keyset } from '../http/pagination.js';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { leadIdVisibleTo } from '../leads/index.js';
import type { EmailMessagesTable, EmailSuppressionsTable, EmailTemplatesTable } from './email.tables.js';
import { templateVariables } from './render-template.js';

export function toTemplate(row: Selectable<EmailTemplatesTable>) {
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    html: row.html,
    text: row.text,
    variables: templateVariables(row.subject, row.html, row.text),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toEmailMessage(row: Selectable<EmailMessagesTable>) {
  return {
    id: row.id,
    to: row.to_address,
    templateId: row.template_id,
    status: row.status,
    smtpResponse: row.smtp_response,
    sentAt: row.sent_at,
    createdAt: row.created_at,
  };
}

const emailTemplatesKeyset: Keyset = {
  list: 'emailTemplates',
  columns: [
    ['name', 'text'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** By name. */
export async function listEmailTemplates(db: TenantDb, page: { limit: number; cursor?: string }) {
  const query = db.selectFrom('email_templates').selectAll();
  return pageOf(query, emailTemplatesKeyset, page, toTemplate);
}

export async function insertEmailTemplate(db: TenantDb, values: Insertable<EmailTemplatesTable>) {
  return toTemplate(
    await db.insertInto('email_templates').values(values).returningAll().executeTakeFirstOrThrow(),
  );
}

export async function findEmailTemplate(db: TenantDb, id: string) {
  const row = await db.selectFrom('email_templates').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toTemplate(row);
}

/** Whether the template exists, without reading it: its id, undefined when absent. */
export async function findEmailTemplateId(db: TenantDb, id: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('email_templates').select('id').where('id', '=', id).executeTakeFirst();
}

export async function updateEmailTemplate(db: TenantDb, id: string, patch: Updateable<EmailTemplatesTable>) {
  const row = await db
    .updateTable('email_templates')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toTemplate(row);
}

/** The deleted template's id as stored, undefined when there was no such template. */
export async function deleteEmailTemplate(db: TenantDb, id: string): Promise<{ id: string } | undefined> {
  return db.deleteFrom('email_templates').where('id', '=', id).returning('id').executeTakeFirst();
}

/** An email, when `visibility` sees its lead (an email of no lead: scope `all` only). */
export async function findEmailMessage(db: TenantDb, id: string, visibility: Visibility) {
  const row = await db
    .selectFrom('email_messages')
    .selectAll()
    .where('id', '=', id)
    .where(leadIdVisibleTo(visibility, 'email_messages.lead_id'))
    .executeTakeFirst();
  return row && toEmailMessage(row);
}

const suppressionsKeyset: Keyset = {
  list: 'suppressions',
  columns: [
    ['created_at', 'timestamp'],
    ['address', 'text'],
  ],
  direction: 'desc',
};

/** Newest first. */
export async function listSuppressions(db: TenantDb, page: { limit: number; cursor?: string }) {
  const query = db.selectFrom('email_suppressions').selectAll();
  return pageOf(query, suppressionsKeyset, page, (row) => ({
    address: row.address,
    reason: row.reason,
    createdAt: row.created_at,
  }));
}

/** Never mails the address again; a second suppression of it keeps the first reason. */
export async function insertSuppression(
  db: TenantDb,
  suppression: Insertable<EmailSuppressionsTable>,
): Promise<void> {
  await db
    .insertInto('email_suppressions')
    .values(suppression)
    .onConflict((conflict) => conflict.column('address').doNothing())
    .execute();
}
