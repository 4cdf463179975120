import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { dateInput } from '../http/input-contract.js';
import type { PipelineKind } from './pipelines.tables.js';

/**
 * The list filters on a record's stage history (`GET /leads`, `GET /deals`): records with an entry
 * of `enteredStageId` (any stage when absent) entered in [enteredFrom, enteredBefore), and records
 * with an entry of `exitedStageId` exited in [exitedFrom, exitedBefore). The bounds are instants,
 * the lower inclusive and the upper exclusive, so consecutive periods never share a record entry.
 * The dashboard's funnel and time-in-stage KPIs count with the same conditions (their drill-downs).
 */
export const stageHistoryFilterSchema = {
  enteredStageId: z
    .uuid()
    .optional()
    .meta({ description: 'Records that entered this stage (see enteredFrom)' }),
  enteredFrom: dateInput().optional().meta({ description: 'An entry entered at or after this instant' }),
  enteredBefore: dateInput().optional().meta({ description: 'An entry entered before this instant' }),
  exitedStageId: z.uuid().optional().meta({ description: 'Records that left this stage (see exitedFrom)' }),
  exitedFrom: dateInput().optional().meta({ description: 'An entry exited at or after this instant' }),
  exitedBefore: dateInput().optional().meta({ description: 'An entry exited before this instant' }),
};

export interface StageHistoryFilter {
  enteredStageId?: string | undefined;
  enteredFrom?: Date | undefined;
  enteredBefore?: Date | undefined;
  exitedStageId?: string | undefined;
  exitedFrom?: Date | undefined;
  exitedBefore?: Date | undefined;
}

/** Entries of `stageId` (any stage when absent) whose `column` lies in [from, before). */
export function stageEntriesIn(
  alias: string,
  column: 'entered_at' | 'exited_at',
  range: { stageId?: string | undefined; from?: Date | undefined; before?: Date | undefined },
): Expression<SqlBool>[] {
  const ref = (name: string) => sql.ref(`${alias}.${name}`);
  const and: Expression<SqlBool>[] = [];
  if (range.stageId) and.push(sql<SqlBool>`${ref('stage_id')} = ${range.stageId}`);
  if (column === 'exited_at') and.push(sql<SqlBool>`${ref('exited_at')} is not null`);
  if (range.from) and.push(sql<SqlBool>`${ref(column)} >= ${range.from.toISOString()}::timestamptz`);
  if (range.before) and.push(sql<SqlBool>`${ref(column)} < ${range.before.toISOString()}::timestamptz`);
  return and;
}

/** The conditions of `filter` on a query of records of `kind` whose id is `idColumn`. */
export function stageHistoryConditions(
  kind: PipelineKind,
  idColumn: string,
  filter: StageHistoryFilter,
): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>)[] {
  const conditions: ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>)[] = [];
  const entered = { stageId: filter.enteredStageId, from: filter.enteredFrom, before: filter.enteredBefore };
  const exited = { stageId: filter.exitedStageId, from: filter.exitedFrom, before: filter.exitedBefore };
  for (const [column, range] of [
    ['entered_at', entered],
    ['exited_at', exited],
  ] as const) {
    if (!range.stageId && !range.from && !range.before) continue;
    conditions.push((eb) =>
      eb.exists(
        eb
          .selectFrom('stage_history as filter_entry')
          .select(sql.lit(1).as('one'))
          .where('filter_entry.record_kind', '=', kind)
          .whereRef('filter_entry.record_id', '=', sql.ref(idColumn) as never)
          .where((inner) => inner.and(stageEntriesIn('filter_entry', column, range))),
      ),
    );
  }
  return conditions;
}
