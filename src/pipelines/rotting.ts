import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { TenantDatabase } from '../db/tenant-database.js';

/**
 * Whether a lead or contact is rotting (`rotting` true) or not (false), as a condition on a query
 * of `leads` or `contacts`: it is in a stage with a rotting threshold and has sat there longer than
 * that many days, counted from its stage entry or its last activity, whichever is later (a contact
 * has no activity log: its last update counts; a contact whose pipeline closed is not rotting).
 * `at` is the clock (default: the transaction's `now()`). Built with the query builder so the
 * stages table is the tenant's (its schema).
 */
export function recordRotting(kind: 'lead' | 'contact', rotting: boolean, at?: Date) {
  return (eb: ExpressionBuilder<TenantDatabase, 'leads'> | ExpressionBuilder<TenantDatabase, 'contacts'>) => {
    const table = kind === 'lead' ? 'leads' : 'contacts';
    const activity = sql.ref(`${table}.${kind === 'lead' ? 'last_activity_at' : 'updated_at'}`);
    const now = at ? sql`${at.toISOString()}::timestamptz` : sql`now()`;
    const b = eb as unknown as ExpressionBuilder<TenantDatabase, 'contacts'>;
    let stages = b
      .selectFrom('pipeline_stages as rotting_stage')
      .select(sql.lit(1).as('one'))
      .whereRef('rotting_stage.id', '=', sql.ref(`${table}.stage_id`) as never)
      .where('rotting_stage.rotting_days', 'is not', null)
      .where(
        sql<SqlBool>`greatest(${sql.ref(`${table}.stage_entered_at`)}, ${activity}) < ${now} - rotting_stage.rotting_days * interval '1 day'`,
      );
    if (kind === 'contact') stages = stages.where(sql<SqlBool>`contacts.pipeline_closed_at is null`);
    const condition: Expression<SqlBool> = b.exists(stages);
    return rotting ? condition : b.not(condition);
  };
}
