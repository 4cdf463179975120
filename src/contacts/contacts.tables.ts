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
  /** The contact's pipeline and stage (issue 19); its pipeline closes when a deal is created for it. */
  pipeline_id: Generated<string | null>;
  stage_id: Generated<string | null>;
  stage_entered_at: Generated<Date | null>;
  pipeline_closed_at: Generated<Date | null>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ContactsTables {
  contacts: ContactsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends ContactsTables {}
}
