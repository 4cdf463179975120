import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { TenantDatabase } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { loadScoringSettings } from '../scoring/scoring-settings.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { exactTotalCap, leadSortFields, type LeadListQuery } from './lead-query.schemas.js';
import { toLead } from './lead.mapper.js';
import { selectLeads } from './lead.repository.js';
import type { Lead } from './lead.schemas.js';

type Eb = ExpressionBuilder<TenantDatabase, 'leads'>;

interface Cursor {
  v: string | number;
  id: string;
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if ((typeof cursor.v === 'string' || typeof cursor.v === 'number') && typeof cursor.id === 'string')
      return cursor;
  } catch {
    // falls through to the error below
  }
  throw new AppError('validation_failed', 'The request is not valid', {
    details: [{ path: 'query.cursor', message: 'Not a cursor returned by this API' }],
  });
}

const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE conditions of a list query (shared by the page and its total). */
function filters(eb: Eb, query: LeadListQuery, hotThreshold: number): Expression<SqlBool> {
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
  if (query.state)
    and.push(
      eb(
        sql`lower(state)`,
        'in',
        query.state.map((s) => s.toLowerCase()),
      ),
    );
  if (query.city)
    and.push(
      eb(
        sql`lower(city)`,
        'in',
        query.city.map((s) => s.toLowerCase()),
      ),
    );
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
  if (query.updatedFrom) and.push(eb('updated_at', '>=', query.updatedFrom));
  if (query.updatedTo) and.push(eb('updated_at', '<=', query.updatedTo));
  if (query.followUpDue === true) and.push(eb('follow_up_at', '<=', sql<Date>`now()`));
  if (query.followUpDue === false) {
    and.push(eb.or([eb('follow_up_at', 'is', null), eb('follow_up_at', '>', sql<Date>`now()`)]));
  }
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

/** Filtered, searched, sorted page of leads: keyset cursor (or page number) plus the total. */
export async function listLeads(handle: TenantHandle, query: LeadListQuery): Promise<LeadPage> {
  const { hotThreshold } = await loadScoringSettings(handle);
  const column = leadSortFields[query.sort];
  const direction = query.order;
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;

  let page = selectLeads(handle.db)
    .where((eb) => filters(eb, query, hotThreshold))
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(query.limit + 1);
  if (cursor) {
    const value = column === 'created_at' || column === 'updated_at' ? new Date(cursor.v) : cursor.v;
    const op = sql.raw(direction === 'desc' ? '<' : '>');
    page = page.where(sql<SqlBool>`(${sql.ref(column)}, id) ${op} (${value}, ${cursor.id})`);
  } else if (query.page) {
    page = page.offset((query.page - 1) * query.limit);
  }
  const count = handle.db
    .selectFrom((db) =>
      db
        .selectFrom('leads')
        .select(sql.lit(1).as('one'))
        .where((eb) => filters(eb, query, hotThreshold))
        .limit(exactTotalCap + 1)
        .as('matching'),
    )
    .select((eb) => eb.fn.countAll<number>().as('total'));

  const [rows, totalRow] = await Promise.all([page.execute(), count.executeTakeFirstOrThrow()]);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  const nextValue = last && last[column];
  const counted = Number(totalRow.total);
  return {
    items: items.map((row) => toLead(row, hotThreshold)),
    total: Math.min(counted, exactTotalCap),
    totalCapped: counted > exactTotalCap,
    limit: query.limit,
    page: cursor ? null : (query.page ?? 1),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({
            v: nextValue instanceof Date ? nextValue.toISOString() : (nextValue as number),
            id: last.id,
          })
        : null,
  };
}
