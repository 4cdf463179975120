import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDatabase } from '../db/tenant-database.js';
import { decodeCursor, encodeCursor, type Keyset, type KeyType } from '../http/pagination.js';
import { recordRotting, stageHistoryConditions } from '../pipelines/index.js';
import { loadScoringSettings } from '../scoring/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import {
  exactTotalCap,
  leadSortFields,
  nullableSortColumns,
  timeSortColumns,
  type LeadFilter,
  type LeadListQuery,
} from './lead-query.schemas.js';
import { toLead } from './lead.mapper.js';
import { selectLeads } from './lead.repository.js';
import { leadVisibleTo } from './lead-visibility.js';
import type { Lead } from './lead.schemas.js';

type Eb = ExpressionBuilder<TenantDatabase, 'leads'>;
type Where = (eb: Eb) => Expression<SqlBool>;

type SortColumn = (typeof leadSortFields)[keyof typeof leadSortFields];

const sortKeyTypes: Record<SortColumn, KeyType> = {
  created_at: 'timestamp',
  updated_at: 'timestamp',
  score: 'int',
  number: 'bigint',
  follow_up_at: 'timestamp',
  last_activity_at: 'timestamp',
  sort_name: 'text',
};

/** The leads list in one sort (src/http/pagination.ts): a cursor of another sort is refused. */
const leadKeyset = (column: SortColumn, direction: 'asc' | 'desc'): Keyset => ({
  list: `leads:${column}:${direction}`,
  columns: [
    [column, sortKeyTypes[column], nullableSortColumns.has(column)],
    ['id', 'uuid'],
  ],
  direction,
});

/** The row's sort key as Postgres writes it (a timestamp keeps its microseconds), `page_key`. */
const pageKey = (column: string) => sql<string>`json_build_array(${sql.ref(column)}, id)::text`;

/** The sort value and id of the previous page's last lead. */
type Cursor = unknown[];

const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The column, lower-cased, is one of `values` (any case). */
const lowerIn = (eb: Eb, column: 'state' | 'city', values: string[]) =>
  eb(
    sql`lower(${sql.ref(column)})`,
    'in',
    values.map((value) => value.toLowerCase()),
  );

/** The WHERE conditions of a list query (shared by the page and its total). */
function filters(eb: Eb, query: LeadFilter, hotThreshold: number): Expression<SqlBool> {
  const and: Expression<SqlBool>[] = [];
  if (query.archived === 'false') and.push(eb('archived_at', 'is', null));
  if (query.archived === 'true') and.push(eb('archived_at', 'is not', null));
  if (query.q) {
    const digits = query.q.replace(/[\s\-()]/g, '');
    const substring = /^\+?\d{3,}$/.test(digits) ? digits : query.q;
    and.push(
      eb.or([
        sql<SqlBool>`search_vector @@ websearch_to_tsquery('simple', ${query.q})`,
        sql<SqlBool>`search_text like ${likePattern(substring)}`,
      ]),
    );
  }
  if (query.status) and.push(eb('status', 'in', query.status));
  if (query.source)
    and.push(
      eb(
        'source',
        'in',
        query.source.map((s) => s.toLowerCase()),
      ),
    );
  if (query.agentId === 'unassigned') and.push(eb('assigned_agent_id', 'is', null));
  else if (query.agentId) and.push(eb('assigned_agent_id', '=', query.agentId));
  if (query.state) and.push(lowerIn(eb, 'state', query.state));
  if (query.city) and.push(lowerIn(eb, 'city', query.city));
  if (query.tags) {
    const tags = query.tags.map((tag) => tag.toLowerCase());
    and.push(
      query.tagsMode === 'all'
        ? sql<SqlBool>`tags @> ${tags}::text[]`
        : sql<SqlBool>`tags && ${tags}::text[]`,
    );
  }
  if (query.scoreMin !== undefined) and.push(eb('score', '>=', query.scoreMin));
  if (query.scoreMax !== undefined) and.push(eb('score', '<=', query.scoreMax));
  if (query.hot !== undefined) and.push(eb('score', query.hot ? '>' : '<=', hotThreshold));
  if (query.createdFrom) and.push(eb('created_at', '>=', query.createdFrom));
  if (query.createdTo) and.push(eb('created_at', '<=', query.createdTo));
  if (query.createdBefore) and.push(eb('created_at', '<', query.createdBefore));
  if (query.converted !== undefined) and.push(eb('contact_id', query.converted ? 'is not' : 'is', null));
  for (const condition of stageHistoryConditions('lead', 'leads.id', query)) and.push(condition(eb));
  if (query.updatedFrom) and.push(eb('updated_at', '>=', query.updatedFrom));
  if (query.updatedTo) and.push(eb('updated_at', '<=', query.updatedTo));
  if (query.followUpDue === true) and.push(eb('follow_up_at', '<=', sql<Date>`now()`));
  if (query.followUpDue === false) {
    and.push(eb.or([eb('follow_up_at', 'is', null), eb('follow_up_at', '>', sql<Date>`now()`)]));
  }
  if (query.rotting !== undefined) and.push(recordRotting('lead', query.rotting)(eb));
  return eb.and(and);
}

export interface LeadPage {
  items: Lead[];
  total: number;
  totalCapped: boolean;
  limit: number;
  page: number | null;
  nextCursor: string | null;
}

interface PageOrder {
  column: SortColumn;
  direction: 'asc' | 'desc';
  cursor: Cursor | undefined;
  /** Rows to skip (page mode); 0 with a cursor. */
  offset: number;
}

/**
 * The keyset condition "after the cursor" on `column`, `id` of whatever the query selects from.
 * A nullable sort key puts its nulls last in either order: after a non-null value come the
 * rest of the values and then every null; after a null, only the nulls past its id.
 */
function afterCursor({ column, direction, cursor }: PageOrder, columnRef: string) {
  if (!cursor) return sql<SqlBool>`true`;
  const [value, id] = cursor;
  const op = sql.raw(direction === 'desc' ? '<' : '>');
  const ref = sql.ref(columnRef);
  // decodeCursor lets a null through only for a nullable sort key.
  if (value === null) return sql<SqlBool>`(${ref} is null and id ${op} ${id}::uuid)`;
  const typed = timeSortColumns.has(column) ? sql`${value}::timestamptz` : sql`${value}`;
  const after = sql<SqlBool>`(${ref}, id) ${op} (${typed}, ${id}::uuid)`;
  return nullableSortColumns.has(column) ? sql<SqlBool>`(${after} or ${ref} is null)` : after;
}

/** `order by` of a page: the sort key (nulls last when it may be null), then id. */
function orderOf({ column, direction }: PageOrder, columnRef: string) {
  const dir = sql.raw(direction);
  const nulls = sql.raw(nullableSortColumns.has(column) ? ' nulls last' : '');
  return sql`${sql.ref(columnRef)} ${dir}${nulls}, id ${dir}`;
}

/**
 * Past this many matches a search pages by walking the sort index, which then finds its page after
 * a few hundred rows; below it, collecting and sorting the whole match set costs less.
 */
const searchMatchSetLimit = 2_000;

/**
 * A search's page sorted out of its whole match set, in one statement, when it has at most
 * `searchMatchSetLimit` matches (else null). The planner cannot tell how many leads a search term
 * matches and, when it guesses too many, walks the sort index filtering row by row: a first + last
 * name search with 500 matches walked 85,000 rows in 150–280 ms instead of 15 ms.
 */
async function searchPage(
  handle: TenantHandle,
  visibility: Visibility,
  where: Where,
  order: PageOrder,
  limit: number,
) {
  const { column } = order;
  const matches = handle.db
    .selectFrom('leads')
    .select(['id', sql.ref(column).as('sort_value')])
    .where(where)
    .limit(searchMatchSetLimit + 1);
  const { rows } = await sql<{ matched: number; ids: string[] }>`
    with matches as materialized ${matches}
    select (select count(*) from matches)::int as matched,
      array(select id from matches where ${afterCursor(order, 'sort_value')}
            order by ${orderOf(order, 'sort_value')} limit ${limit + 1} offset ${order.offset}) as ids`.execute(
    handle.db,
  );
  const { matched, ids } = rows[0]!;
  if (matched > searchMatchSetLimit) return null;
  if (ids.length === 0) return [];
  const byId = new Map(
    (
      await selectLeads(handle.db, visibility)
        .select(pageKey(column).as('page_key'))
        .where('id', 'in', ids)
        .execute()
    ).map((row) => [row.id, row]),
  );
  return ids.map((id) => byId.get(id)!);
}

/** A page walked in sort order. */
function walkPage(
  handle: TenantHandle,
  visibility: Visibility,
  where: Where,
  order: PageOrder,
  limit: number,
) {
  return selectLeads(handle.db, visibility)
    .select(pageKey(order.column).as('page_key'))
    .where(where)
    .where(afterCursor(order, order.column))
    .orderBy(orderOf(order, order.column))
    .limit(limit + 1)
    .offset(order.offset)
    .execute();
}

/** The number of matches, counted up to one past `exactTotalCap`. */
async function countMatches(handle: TenantHandle, where: Where): Promise<number> {
  const { total } = await handle.db
    .selectFrom((db) =>
      db
        .selectFrom('leads')
        .select(sql.lit(1).as('one'))
        .where(where)
        .limit(exactTotalCap + 1)
        .as('matching'),
    )
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  return Number(total);
}

/**
 * Filtered, searched, sorted page of the leads `visibility` reaches: keyset cursor (or page
 * number) plus the total, both over visible leads only.
 */
export async function listLeads(
  handle: TenantHandle,
  visibility: Visibility,
  query: LeadListQuery,
): Promise<LeadPage> {
  const { hotThreshold } = await loadScoringSettings(handle);
  const column = leadSortFields[query.sort];
  const keyset = leadKeyset(column, query.order);
  const cursor = query.cursor ? decodeCursor(keyset, query.cursor) : undefined;
  const order: PageOrder = {
    column,
    direction: query.order,
    cursor,
    offset: cursor || !query.page ? 0 : (query.page - 1) * query.limit,
  };
  const visible = leadVisibleTo(visibility);
  const where: Where = (eb) => eb.and([visible(eb), filters(eb, query, hotThreshold)]);
  const walk = () => walkPage(handle, visibility, where, order, query.limit);
  const page = query.q
    ? searchPage(handle, visibility, where, order, query.limit).then((rows) => rows ?? walk())
    : walk();
  const [rows, counted] = await Promise.all([page, countMatches(handle, where)]);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => toLead(row, hotThreshold)),
    total: Math.min(counted, exactTotalCap),
    totalCapped: counted > exactTotalCap,
    limit: query.limit,
    page: cursor ? null : (query.page ?? 1),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor(keyset, JSON.parse(last.page_key) as unknown[]) : null,
  };
}

/**
 * The ids and reference numbers of the leads a filter matches, in reference order, after
 * `afterNumber` and up to `untilNumber`: the list's own filters, walked by a keyset on the
 * reference (a cohort's distribution job reads its leads this way, page by page).
 */
export async function matchingLeadRefs(
  handle: TenantHandle,
  visibility: Visibility,
  filter: LeadFilter,
  page: { afterNumber: number; untilNumber: number; limit: number },
): Promise<{ id: string; number: number }[]> {
  const { hotThreshold } = await loadScoringSettings(handle);
  return handle.db
    .selectFrom('leads')
    .select(['id', 'number'])
    .where(leadVisibleTo(visibility))
    .where((eb) => filters(eb, filter, hotThreshold))
    .where('number', '>', page.afterNumber)
    .where('number', '<=', page.untilNumber)
    .orderBy('number')
    .limit(page.limit)
    .execute();
}
