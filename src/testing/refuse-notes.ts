import { sql } from 'kysely';
import type { TenantHandle } from '../tenancy/connection-manager.js';

/**
 * Makes the tenant's database refuse notes whose body starts with `prefix` (a check_violation
 * from a trigger): a database error inside an automation action, for the tests of what the
 * engine does with one.
 */
export async function refuseNotesStartingWith(handle: TenantHandle, prefix: string): Promise<void> {
  const refuse = sql.id(handle.schema, 'refuse_note');
  await sql`create function ${refuse}() returns trigger language plpgsql as $$
    begin
      if new.body like ${sql.lit(`${prefix}%`)} then
        raise exception 'note refused' using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(handle.db);
  await sql`create trigger refuse_note before insert on ${sql.id(handle.schema, 'lead_notes')}
    for each row execute function ${refuse}()`.execute(handle.db);
}
