import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageOf, pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { leadVisibleTo } from '../leads/index.js';
import { stageHistoryConditions } from '../pipelines/index.js';
import { toDeal, type DealRow } from './deal.mapper.js';
import { dealRotting, findDealRow, selectDeals } from './deal.repository.js';
import type { Deal, DealListQuery } from './deal.schemas.js';

const byId = ['deals.id', 'uuid'] as const;

/** The keyset of each sort (the sort key, then the id; a deal without an expected close date sorts last in asc). */
function dealKeyset(sort: DealListQuery['sort'], order: 'asc' | 'desc'): Keyset {
  const first =
    sort === 'amount'
      ? (['deals.amount', 'bigint'] as const)
      : sort === 'updatedAt'
        ? (['deals.updated_at', 'timestamp'] as const)
        : sort === 'expectedCloseDate'
          ? ([sql`coalesce(deals.expected_close_date, '9999-12-31'::date)`, 'text'] as const)
          : (['deals.created_at', 'timestamp'] as const);
  return { list: `deals:${sort}:${order}`, columns: [first, byId], direction: order };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filtered, visible deals (see `GET /api/crm/deals`), one page and the total. */
export async function listDeals(
  db: TenantDb,
  visibility: Visibility,
  query: DealListQuery & { limit: number; cursor?: string },
): Promise<Page<Deal> & { total: number }> {
  let base = selectDeals(db, visibility);
  if (query.pipelineId) base = base.where('deals.pipeline_id', '=', query.pipelineId);
  if (query.stageId) base = base.where('deals.stage_id', '=', query.stageId);
  if (query.ownerId === 'unassigned') base = base.where('deals.owner_agent_id', 'is', null);
  else if (query.ownerId) base = base.where('deals.owner_agent_id', '=', query.ownerId);
  if (query.status) base = base.where('deals.status', 'in', query.status);
  if (query.currency) base = base.where('deals.currency', '=', query.currency);
  if (query.closedFrom) base = base.where('deals.closed_at', '>=', query.closedFrom);
  if (query.closedBefore) base = base.where('deals.closed_at', '<', query.closedBefore);
  for (const condition of stageHistoryConditions('deal', 'deals.id', query)) base = base.where(condition);
  if (query.amountMin !== undefined) base = base.where('deals.amount', '>=', String(query.amountMin));
  if (query.amountMax !== undefined) base = base.where('deals.amount', '<=', String(query.amountMax));
  if (query.expectedCloseFrom) base = base.where('deals.expected_close_date', '>=', query.expectedCloseFrom);
  if (query.expectedCloseTo) base = base.where('deals.expected_close_date', '<=', query.expectedCloseTo);
  if (query.rotting)
    base = base.where(query.rotting === 'true' ? dealRotting : sql<boolean>`not ${dealRotting}`);
  const tags = query.tag === undefined ? [] : Array.isArray(query.tag) ? query.tag : [query.tag];
  if (tags.length > 0) base = base.where(sql<boolean>`deals.tags @> ${sql.val(tags)}::text[]`);
  if (query.q) base = base.where(sql<boolean>`deals.title ilike ${`%${escapeLike(query.q)}%`}`);
  const keyset = dealKeyset(query.sort, query.order);
  return pageWithTotal(base, keyset, query, (row) => toDeal(row as DealRow));
}

interface BoardStageRow {
  id: string;
  name: string;
  position: number;
  outcome: 'won' | 'lost' | null;
  probability: number;
  amounts: { currency: string; amount: string | number; count: string | number }[] | null;
}

/**
 * A deal pipeline's board: its stages in order, each with its visible deals' count, their amounts
 * summed per currency and its first `limit` deals (newest first). Two statements: the stages with
 * their sums (a correlated aggregate per stage), and the first deals of every stage (a lateral join).
 */
export async function pipelineBoard(db: TenantDb, visibility: Visibility, pipelineId: string, limit: number) {
  const pipeline = orNotFound(
    await db
      .selectFrom('pipelines')
      .select(['id', 'number', 'name'])
      .where('id', '=', pipelineId)
      .where('kind', '=', 'deal')
      .executeTakeFirst(),
    'Pipeline',
    { id: pipelineId },
  );
  const visible = leadVisibleTo(visibility, 'd.owner_agent_id');
  const [stages, top] = await Promise.all([
    db
      .selectFrom('pipeline_stages as s')
      .select(['s.id', 's.name', 's.position', 's.outcome', 's.probability'])
      .select((eb) =>
        eb
          .selectFrom((sub) =>
            sub
              .selectFrom('deals as d')
              .select(['d.currency'])
              .select(sql<string>`sum(d.amount)`.as('amount'))
              .select((e) => e.fn.countAll<string>().as('count'))
              .where('d.pipeline_id', '=', pipelineId)
              .whereRef('d.stage_id', '=', 's.id')
              .where(visible)
              .groupBy('d.currency')
              .as('c'),
          )
          .select(
            sql<BoardStageRow['amounts']>`json_agg(json_build_object('currency', c.currency,
            'amount', c.amount, 'count', c.count) order by c.currency)`.as('agg'),
          )
          .as('amounts'),
      )
      .where('s.pipeline_id', '=', pipelineId)
      .orderBy('s.position')
      .execute(),
    db
      .selectFrom('pipeline_stages as s')
      .innerJoinLateral(
        selectDeals(db, visibility)
          // The pipeline too: deals_pipeline_stage_idx serves (pipeline, stage, newest first).
          .where('deals.pipeline_id', '=', pipelineId)
          .whereRef('deals.stage_id', '=', sql.ref('s.id'))
          .orderBy('deals.created_at', 'desc')
          .orderBy('deals.id', 'desc')
          .limit(limit)
          .as('top'),
        (join) => join.onTrue(),
      )
      .selectAll('top')
      .where('s.pipeline_id', '=', pipelineId)
      .execute(),
  ]);
  const dealsOf = new Map<string, Deal[]>();
  for (const row of top as unknown as DealRow[]) {
    const list = dealsOf.get(row.stage_id) ?? [];
    list.push(toDeal(row));
    dealsOf.set(row.stage_id, list);
  }
  return {
    pipeline: { id: pipeline.id, ref: `PW-${pipeline.number}`, name: pipeline.name },
    stages: stages.map((stage) => {
      const amounts = (stage.amounts as BoardStageRow['amounts']) ?? [];
      return {
        id: stage.id,
        name: stage.name,
        position: stage.position,
        outcome: stage.outcome,
        probability: stage.probability,
        count: amounts.reduce((sum, row) => sum + Number(row.count), 0),
        amounts: amounts.map((row) => ({ currency: row.currency, amount: Number(row.amount) })),
        deals: dealsOf.get(stage.id) ?? [],
      };
    }),
  };
}

/** A deal the caller sees, or a 404 as for an absent one. */
export async function requireVisibleDeal(db: TenantDb, visibility: Visibility, idOrRef: string) {
  return orNotFound(await findDealRow(db, visibility, idOrRef), 'Deal', { id: idOrRef });
}

/** A deal's stage history, oldest first, with each entry's duration and the time spent per stage. */
export async function dealStages(db: TenantDb, visibility: Visibility, idOrRef: string) {
  const deal = await requireVisibleDeal(db, visibility, idOrRef);
  const rows = await db
    .selectFrom('stage_history as h')
    .innerJoin('pipeline_stages as s', 's.id', 'h.stage_id')
    .select([
      'h.id',
      'h.pipeline_id',
      'h.stage_id',
      's.name as stage_name',
      'h.entered_at',
      'h.exited_at',
      'h.actor',
      'h.actor_type',
      'h.reason',
    ])
    .select(
      sql<number>`extract(epoch from coalesce(h.exited_at, now()) - h.entered_at)::float8`.as('seconds'),
    )
    .where('h.record_kind', '=', 'deal')
    .where('h.record_id', '=', deal.id)
    .orderBy('h.id')
    .execute();
  const perStage = new Map<
    string,
    { stage: { id: string; name: string }; seconds: number; entries: number }
  >();
  for (const row of rows) {
    const total = perStage.get(row.stage_id) ?? {
      stage: { id: row.stage_id, name: row.stage_name },
      seconds: 0,
      entries: 0,
    };
    total.seconds += Math.max(0, Number(row.seconds));
    total.entries++;
    perStage.set(row.stage_id, total);
  }
  return {
    entries: rows.map((row) => ({
      id: String(row.id),
      pipelineId: row.pipeline_id,
      stage: { id: row.stage_id, name: row.stage_name },
      enteredAt: row.entered_at,
      exitedAt: row.exited_at,
      durationSeconds: Math.max(0, Number(row.seconds)),
      actor: row.actor,
      actorType: row.actor_type,
      reason: row.reason,
    })),
    timeInStage: [...perStage.values()],
  };
}

const notesKeyset: Keyset = {
  list: 'deal-notes',
  columns: [
    ['n.created_at', 'timestamp'],
    ['n.id', 'uuid'],
  ],
  direction: 'desc',
};

export async function listDealNotes(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
  page: { limit: number; cursor?: string },
) {
  const deal = await requireVisibleDeal(db, visibility, idOrRef);
  return pageOf(
    db.selectFrom('deal_notes as n').selectAll('n').where('n.deal_id', '=', deal.id),
    notesKeyset,
    page,
    (row) => toDealNote(row),
  );
}

export function toDealNote(row: {
  id: string;
  deal_id: string;
  body: string;
  author: string | null;
  author_type: 'user' | 'api_key' | 'system' | null;
  created_at: Date;
}) {
  return {
    id: row.id,
    dealId: row.deal_id,
    body: row.body,
    author: row.author,
    authorType: row.author_type,
    createdAt: row.created_at,
  };
}

const activityKeyset: Keyset = { list: 'deal-activity', columns: [['a.id', 'bigint']], direction: 'desc' };

/** A deal's timeline, newest first. */
export async function listDealActivity(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
  page: { limit: number; cursor?: string },
) {
  const deal = await requireVisibleDeal(db, visibility, idOrRef);
  return pageOf(
    db.selectFrom('deal_activities as a').selectAll('a').where('a.deal_id', '=', deal.id),
    activityKeyset,
    page,
    (row) => ({
      id: String(row.id),
      kind: row.kind,
      actor: row.actor,
      actorType: row.actor_type,
      actorId: row.actor_id,
      data: row.data,
      createdAt: row.created_at,
    }),
  );
}
