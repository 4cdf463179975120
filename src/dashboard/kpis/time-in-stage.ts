import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { leadVisibleTo } from '../../leads/index.js';
import {
  inEitherPeriod,
  isCurrent,
  iso,
  kpiOf,
  kpiSchema,
  ownerCondition,
  withOwner,
  type KpiContext,
} from '../kpi.js';
import { recordsOf, type DashboardPipeline } from './pipeline-of.js';

export const stageTimeSchema = z.object({
  stage: z.object({ id: z.uuid(), name: z.string(), position: z.number().int() }),
  averageSeconds: kpiSchema.extend({
    records: z
      .object({ value: z.number().int(), previous: z.number().int() })
      .meta({ description: 'How many records were averaged: the row counts of the drill-downs' }),
  }),
});

interface StageTimeRow {
  stage_id: string;
  current: boolean;
  records: string | number;
  average: string | number | null;
}

/**
 * Per stage, the average over the records that left it in the period of the time they spent in it:
 * per record, the sum over its entries of the stage exited in the period of exited − entered (as
 * `GET /deals/:id/stages` reports each entry), then the mean of those sums. Open entries are not
 * counted. One statement for both periods.
 */
export async function timeInStage(ctx: KpiContext, pipeline: DashboardPipeline) {
  const records = recordsOf(pipeline.kind);
  const db = ctx.db as unknown as Kysely<any>;
  const owner = `r.${records.owner}`;
  const stageIds = pipeline.stages.map((stage) => stage.id);
  const perRecord = db
    .selectFrom('stage_history as h')
    .innerJoin(`${records.table} as r`, 'r.id', 'h.record_id')
    .select(['h.stage_id', 'h.record_id', isCurrent('h.exited_at', ctx.periods).as('current')])
    .select(
      sql<number>`sum(greatest(0, extract(epoch from h.exited_at - h.entered_at)::float8))`.as('seconds'),
    )
    .where('h.record_kind', '=', pipeline.kind)
    .where('h.stage_id', 'in', stageIds.length > 0 ? stageIds : ['00000000-0000-0000-0000-000000000000'])
    .where('h.exited_at', 'is not', null)
    .where(inEitherPeriod('h.exited_at', ctx.periods))
    .where(leadVisibleTo(ctx.visibility, owner))
    .where(ownerCondition(ctx, owner))
    .groupBy(['h.stage_id', 'h.record_id', 'current']);
  const rows = (await db
    .selectFrom(perRecord.as('p'))
    .select(['p.stage_id', 'p.current'])
    .select([sql<string>`count(*)`.as('records'), sql<number>`avg(p.seconds)`.as('average')])
    .groupBy(['p.stage_id', 'p.current'])
    .execute()) as StageTimeRow[];

  return pipeline.stages.map((stage) => {
    const row = (current: boolean) => rows.find((r) => r.stage_id === stage.id && r.current === current);
    const average = (current: boolean) => {
      const found = row(current);
      return found?.average === null || found?.average === undefined ? null : Number(found.average);
    };
    return {
      stage: { id: stage.id, name: stage.name, position: stage.position },
      averageSeconds: {
        ...kpiOf(
          ctx,
          `Average, over the ${pipeline.kind === 'deal' ? 'deals' : 'leads (archived ones included)'} you can see${ctx.filters.ownerId ? ' of the owner ownerId' : ''} that left the stage "${stage.name}" in the period (from inclusive, to exclusive), of each one's time in the stage: the sum, over its entries of the stage exited in the period, of exited − entered, in seconds. Null when none left it.`,
          { current: average(true), previous: average(false) },
          (period) => ({
            path: records.path,
            query: withOwner(
              {
                ...records.extra,
                exitedStageId: stage.id,
                exitedFrom: iso(period.from),
                exitedBefore: iso(period.to),
              },
              ctx,
              records.ownerParameter,
            ),
          }),
        ),
        records: { value: Number(row(true)?.records ?? 0), previous: Number(row(false)?.records ?? 0) },
      },
    };
  });
}
