import { sql } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';

const isoLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?\s*([zZ]|[+-]\d{2}(:?\d{2})?)?$/;
const hasOffset = /([zZ]|[+-]\d{2}(:?\d{2})?)$/;

/**
 * The instant a date-time text names: with an offset (`Z`, `+05:30`) as written, without
 * one in the tenant's timezone (a clinic's "2026-12-01T10:00" is 10:00 where the clinic
 * is). Undefined when it is not a valid ISO date-time. Runs inside a savepoint so an
 * impossible date (Feb 31) does not abort the caller's transaction.
 */
export async function tenantInstant(
  trx: TenantDb,
  text: string,
  timezone: string,
): Promise<Date | undefined> {
  const value = text.trim();
  if (!isoLike.test(value)) return undefined;
  await sql`savepoint tenant_instant`.execute(trx);
  try {
    const result = hasOffset.test(value)
      ? await sql<{ at: Date }>`select ${value}::timestamptz as at`.execute(trx)
      : await sql<{ at: Date }>`select (${value}::timestamp at time zone ${timezone}) as at`.execute(trx);
    await sql`release savepoint tenant_instant`.execute(trx);
    return new Date(result.rows[0]!.at);
  } catch {
    await sql`rollback to savepoint tenant_instant`.execute(trx);
    return undefined;
  }
}
