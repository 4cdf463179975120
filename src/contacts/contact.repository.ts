import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import { sql, type Selectable, type Updateable } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { contactVisibleTo, normalisePhone } from '../leads/index.js';
import { recordRotting } from '../pipelines/index.js';
import type { Contact, ContactInput } from './contact.schemas.js';
import type { ContactsTable } from './contacts.tables.js';

export function toContact(row: Selectable<ContactsTable>): Contact {
  return {
    id: row.id,
    leadId: row.lead_id,
    firstName: row.first_name,
    lastName: row.last_name,
    phone: row.phone,
    email: row.email,
    company: row.company,
    city: row.city,
    state: row.state,
    notes: row.notes,
    customFields: row.custom_fields,
    pipelineId: row.pipeline_id,
    stageId: row.stage_id,
    stageEnteredAt: row.stage_entered_at,
    pipelineClosedAt: row.pipeline_closed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toContactColumns(
  input: Partial<ContactInput>,
  defaultCountry: string,
): Updateable<ContactsTable> {
  const columns: Updateable<ContactsTable> = {
    first_name: input.firstName,
    last_name: input.lastName,
    phone: input.phone ? normalisePhone(input.phone, defaultCountry) : input.phone,
    email: input.email === undefined ? undefined : (input.email?.toLowerCase() ?? null),
    company: input.company,
    city: input.city,
    state: input.state,
    notes: input.notes,
    custom_fields: input.customFields && JSON.stringify(input.customFields),
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

export async function insertContact(db: TenantDb, columns: Updateable<ContactsTable>): Promise<Contact> {
  return toContact(
    await db
      .insertInto('contacts')
      .values(columns as never)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

const contactsKeyset: Keyset = {
  list: 'contacts',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first; `q` matches any part of the name, phone, email or company. */
export async function listContacts(
  db: TenantDb,
  page: { limit: number; cursor?: string; q?: string; rotting?: boolean },
  visibility: Visibility,
): Promise<Page<Contact>> {
  let query = db.selectFrom('contacts').where(contactVisibleTo(visibility));
  if (page.rotting !== undefined) query = query.where(recordRotting('contact', page.rotting));
  if (page.q) {
    const pattern = `%${page.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(
      sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company, ''))`,
      'like',
      pattern,
    );
  }
  const [items, total] = await Promise.all([
    pageOf(query.selectAll(), contactsKeyset, page, toContact),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { ...items, total: Number(total.n) };
}

export async function findContact(
  db: TenantDb,
  id: string,
  visibility: Visibility,
): Promise<Contact | undefined> {
  const row = await db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', id)
    .where(contactVisibleTo(visibility))
    .executeTakeFirst();
  return row && toContact(row);
}

export async function updateContact(
  db: TenantDb,
  id: string,
  columns: Updateable<ContactsTable>,
): Promise<Contact | undefined> {
  const row = await db
    .updateTable('contacts')
    .set({ ...columns, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toContact(row);
}

/** The deleted contact's id, undefined when there was no such contact. */
export function deleteContact(db: TenantDb, id: string): Promise<{ id: string } | undefined> {
  return db.deleteFrom('contacts').where('id', '=', id).returning('id').executeTakeFirst();
}
