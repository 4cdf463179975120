import { sql, type Selectable, type Updateable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { normalisePhone } from '../leads/index.js';
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

export class ContactRepository {
  constructor(private readonly db: TenantDb) {}

  async list(page: {
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ items: Contact[]; total: number }> {
    let query = this.db.selectFrom('contacts');
    if (page.q) {
      const pattern = `%${page.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(
        sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company, ''))`,
        'like',
        pattern,
      );
    }
    const [rows, total] = await Promise.all([
      query
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toContact), total: Number(total.n) };
  }

  async get(id: string): Promise<Contact> {
    const row = await this.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw AppError.notFound('Contact', { id });
    return toContact(row);
  }

  async update(id: string, columns: Updateable<ContactsTable>): Promise<Contact> {
    const row = await this.db
      .updateTable('contacts')
      .set({ ...columns, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Contact', { id });
    return toContact(row);
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('contacts').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw AppError.notFound('Contact', { id });
  }
}
