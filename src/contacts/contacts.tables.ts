import type { ColumnType, Generated } from 'kysely';

export interface ContactsTable {
  id: Generated<string>;
  lead_id: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  email: string | null;
  company: string | null;
  city: string | null;
  state: string | null;
  notes: string | null;
  custom_fields: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ContactsTables {
  contacts: ContactsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ContactsTables {}
}
