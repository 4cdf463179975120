import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { z } from 'zod';
import { currencySchema } from '../../deals/index.js';
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
import type { Period } from '../period.js';
import { recordsOf, type DashboardPipeline } from './pipeline-of.js';

const stageRefSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number().int(),
  outcome: z.enum(['won', 'lost']).nullable(),
});

export const funnelStageSchema = z.object({
  stage: stageRefSchema,
  entered: kpiSchema,
  amounts: z.array(kpiSchema.extend({ currency: currencySchema })).meta({
    description: 'Deal pipelines: the amounts of the deals counted in `entered`, summed per currency',
  }),
  dropOffPercent: z.object({ value: z.number().nullable(), previous: z.number().nullable() }).meta({
    description:
      '(entered here − entered in the next stage) / entered here × 100, the next stage being the next by position that is not a lost outcome; null for the last stage or when none entered here',
  }),
});

interface FunnelRow {
  stage_id: string;
  current: boolean;
  currency: string;
  n: string | number;
  amount: string | number;
}

/**
 * Per stage of the pipeline, the records (of the pipeline's kind, distinct) with a stage-history
 * entry of the stage entered in the period; for deals also their amounts per currency. One
 * statement for both periods, over the records the caller sees (their current owner).
 */
export async function funnel(ctx: KpiContext, pipeline: DashboardPipeline) {
  const records = recordsOf(pipeline.kind);
  const db = ctx.db as unknown as Kysely<any>;
  const stageIds = pipeline.stages.map((stage) => stage.id);
  // Everything visible: distinct (stage, record, period) first, from the index alone, then each
  // record's value. A narrower caller: their records first (fewer), then their entries.
  const everything = ctx.visibility.all && !ctx.filters.ownerId;
  let entries = db
    .selectFrom('stage_history as h')
    .select(['h.stage_id', 'h.record_id', isCurrent('h.entered_at', ctx.periods).as('current')])
    .distinct()
    .where('h.record_kind', '=', pipeline.kind)
    .where('h.stage_id', 'in', stageIds.length > 0 ? stageIds : ['00000000-0000-0000-0000-000000000000'])
    .where(inEitherPeriod('h.entered_at', ctx.periods));
  if (!everything) {
    entries = entries.where('h.record_id', 'in', (eb: ExpressionBuilder<any, any>) =>
      eb
        .selectFrom(`${records.table} as own`)
        .select('own.id')
        .where(leadVisibleTo(ctx.visibility, `own.${records.owner}`))
        .where(ownerCondition(ctx, `own.${records.owner}`)),
    );
  }
  const rows = (await db
    .selectFrom(entries.as('e'))
    .innerJoin(`${records.table} as r`, 'r.id', 'e.record_id')
    .select(['e.stage_id', 'e.current'])
    .select(
      pipeline.kind === 'deal'
        ? [sql<string>`r.currency`.as('currency'), sql<string>`coalesce(sum(r.amount), 0)`.as('amount')]
        : [sql<string>`''`.as('currency'), sql<string>`0`.as('amount')],
    )
    .select(sql<string>`count(*)`.as('n'))
    .groupBy(
      pipeline.kind === 'deal' ? ['e.stage_id', 'e.current', 'r.currency'] : ['e.stage_id', 'e.current'],
    )
    .execute()) as FunnelRow[];

  const enteredIn = (stageId: string) => (period: Period) => ({
    path: records.path,
    query: withOwner(
      {
        ...records.extra,
        enteredStageId: stageId,
        enteredFrom: iso(period.from),
        enteredBefore: iso(period.to),
      },
      ctx,
      records.ownerParameter,
    ),
  });
  const counts = pipeline.stages.map((stage) => {
    const of = (current: boolean) =>
      rows
        .filter((row) => row.stage_id === stage.id && row.current === current)
        .reduce((sum, row) => sum + Number(row.n), 0);
    return { current: of(true), previous: of(false) };
  });
  const open = pipeline.stages
    .map((stage, i) => ({ stage, i }))
    .filter(({ stage }) => stage.outcome !== 'lost');
  const nextOf = new Map(open.map(({ i }, k) => [i, open[k + 1]?.i]));
  const dropOff = (here: number, next: number | undefined) =>
    next === undefined || here === 0 ? null : ((here - next) / here) * 100;

  return pipeline.stages.map((stage, i) => {
    const next = nextOf.get(i);
    const currencies = [
      ...new Set(rows.filter((row) => row.stage_id === stage.id).map((row) => row.currency)),
    ]
      .filter(() => pipeline.kind === 'deal')
      .sort();
    const sumOf = (currency: string, current: boolean) =>
      Number(
        rows.find((row) => row.stage_id === stage.id && row.current === current && row.currency === currency)
          ?.amount ?? 0,
      );
    return {
      stage: { id: stage.id, name: stage.name, position: stage.position, outcome: stage.outcome },
      entered: kpiOf(
        ctx,
        `${pipeline.kind === 'deal' ? 'Deals' : 'Leads (archived ones included)'} that entered the stage "${stage.name}" in the period (a stage-history entry of it entered from inclusive, to exclusive; a record entering twice counts once), among those you can see${ctx.filters.ownerId ? ', of the owner ownerId' : ''}.`,
        counts[i]!,
        enteredIn(stage.id),
      ),
      amounts: currencies.map((currency) => ({
        currency,
        ...kpiOf(
          ctx,
          `Sum of the amounts (minor units, as they are now) of the ${currency} deals counted in "entered" of the stage "${stage.name}".`,
          { current: sumOf(currency, true), previous: sumOf(currency, false) },
          (period) => {
            const drill = enteredIn(stage.id)(period);
            return { ...drill, query: { ...drill.query, currency } };
          },
        ),
      })),
      dropOffPercent: {
        value: dropOff(counts[i]!.current, next === undefined ? undefined : counts[next]!.current),
        previous: dropOff(counts[i]!.previous, next === undefined ? undefined : counts[next]!.previous),
      },
    };
  });
}
