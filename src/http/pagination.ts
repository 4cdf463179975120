import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { AppError } from './app-error.js';

/**
 * The one way every list endpoint pages (CONTRIBUTING "Lists"): `limit` + an opaque `cursor` in,
 * `{ items, nextCursor, total? }` out, keyset underneath.
 *
 * A list names its order as a `Keyset`: the columns it sorts by, ending with a unique one (`id`),
 * all in one direction, and hands its query to `pageOf`. That selects `keysetKey(keyset)` as
 * `page_key` and, for the next page, adds `keysetAfter(keyset, key)`; `toPage` cuts the
 * `limit + 1` rows it fetched into the page and the next cursor. The key is read by Postgres as JSON text, so timestamps keep their
 * microseconds (a `Date` would round them to milliseconds and skip rows written in one
 * transaction). A cursor names its list: one from another list, or one that does not decode to
 * the list's key types, is a 400 `validation_failed` at `query.cursor`, never a database error.
 */

export const pageLimitDefault = 50;
export const pageLimitMax = 200;

/** `limit`: shown once in OpenAPI (`components.parameters.PageLimit`), referenced by every list. */
export const pageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(pageLimitMax)
  .default(pageLimitDefault)
  .meta({
    id: 'PageLimit',
    param: { name: 'limit', in: 'query' },
    description: `Items per page, 1 to ${pageLimitMax} (default ${pageLimitDefault})`,
  });

/** `cursor`: shown once in OpenAPI (`components.parameters.PageCursor`). */
export const pageCursor = z
  .string()
  .min(1)
  .max(1000)
  .optional()
  .meta({
    id: 'PageCursor',
    param: { name: 'cursor', in: 'query' },
    description:
      'Opaque: the `nextCursor` of the previous page of the same list (same filters and sort). Omit for the first page. A cursor that this list did not return is refused (400 `validation_failed`).',
  });

/** The query fragment every list spreads into its query schema: `z.object({ ...pageQuery, status: … })`. */
export const pageQuery = { limit: pageLimit, cursor: pageCursor };

const nextCursorSchema = z.string().nullable().meta({
  id: 'NextCursor',
  description: 'Pass as `cursor` for the next page; `null` on the last page',
});

const totalSchema = z.number().int().meta({
  id: 'PageTotal',
  description:
    'Number of items matching the filters, across all pages. Given by lists that can count cheaply; absent from unbounded logs (runs, jobs, messages), where a count would scan them.',
});

/** The response schema of a list: `{ items, nextCursor }`, plus `total` when the list counts. */
export function pageSchema<T extends z.ZodType>(item: T, options: { total: true }): PageSchemaWithTotal<T>;
export function pageSchema<T extends z.ZodType>(item: T, options?: { total?: false }): PageSchemaNoTotal<T>;
export function pageSchema<T extends z.ZodType>(item: T, options: { total?: boolean } = {}) {
  const base = z.object({ items: z.array(item), nextCursor: nextCursorSchema });
  return options.total ? base.extend({ total: totalSchema }) : base;
}
type PageSchemaNoTotal<T extends z.ZodType> = z.ZodObject<{
  items: z.ZodArray<T>;
  nextCursor: typeof nextCursorSchema;
}>;
type PageSchemaWithTotal<T extends z.ZodType> = z.ZodObject<{
  items: z.ZodArray<T>;
  nextCursor: typeof nextCursorSchema;
  total: typeof totalSchema;
}>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}

/** A key column's type, which its cursor value must decode to before it reaches SQL. */
export type KeyType = 'timestamp' | 'uuid' | 'int' | 'bigint' | 'text';

export interface Keyset {
  /** Names the list in its cursors: a cursor of another list is refused. */
  list: string;
  /**
   * Sort columns, the last one unique (the id), as `sql.ref` accepts them (`m.created_at`), or an
   * expression (`coalesce(…)`, never null) that the query orders by too. A column marked
   * `nullable` lets a cursor carry null for it; `keysetAfter` does not order nulls, so such a list
   * writes its own condition (the leads list: nulls last in either order).
   */
  columns: readonly (readonly [column: string | RawBuilder<unknown>, type: KeyType, nullable?: boolean])[];
  direction: 'asc' | 'desc';
}

const keyValue: Record<KeyType, z.ZodType> = {
  timestamp: z.iso.datetime({ offset: true }),
  uuid: z.uuid(),
  int: z
    .number()
    .int()
    .min(-(2 ** 31))
    .max(2 ** 31 - 1),
  bigint: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  text: z
    .string()
    .max(1000)
    .refine((text) => !text.includes('\u0000')),
};

/** Selected by a list query as `page_key`: the row's sort key, as Postgres writes it in JSON. */
export function keysetKey(keyset: Keyset): RawBuilder<string> {
  return sql<string>`json_build_array(${sql.join(keyset.columns.map(([column]) => refOf(column)))})::text`;
}

/** The list's order, for `.orderBy(keysetOrder(keyset))`. */
export function keysetOrder(keyset: Keyset): RawBuilder<unknown> {
  const direction = keyset.direction === 'desc' ? sql`desc` : sql`asc`;
  return sql.join(keyset.columns.map(([column]) => sql`${refOf(column)} ${direction}`));
}

const refOf = (column: string | RawBuilder<unknown>) =>
  typeof column === 'string' ? sql.ref(column) : column;

/** The keyset condition "after the cursor's row" in the list's order. */
export function keysetAfter(keyset: Keyset, key: readonly unknown[]): RawBuilder<SqlBool> {
  const op = keyset.direction === 'desc' ? sql`<` : sql`>`;
  const columns = sql.join(keyset.columns.map(([column]) => refOf(column)));
  const values = sql.join(key.map((value) => sql`${value}`));
  return sql<SqlBool>`(${columns}) ${op} (${values})`;
}

export function encodeCursor(keyset: Keyset, key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify({ l: keyset.list, k: key })).toString('base64url');
}

/** The key of a cursor of this list, its values checked against the key's types; 400 otherwise. */
export function decodeCursor(keyset: Keyset, cursor: string): unknown[] {
  const invalid = () =>
    AppError.invalidFields([{ path: 'query.cursor', message: 'Not a cursor returned by this list' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const shape = z.object({
    l: z.literal(keyset.list),
    k: z.tuple(
      keyset.columns.map(([, type, nullable]) => (nullable ? keyValue[type].nullable() : keyValue[type])) as [
        z.ZodType,
        ...z.ZodType[],
      ],
    ),
  });
  const result = shape.safeParse(parsed);
  if (!result.success) throw invalid();
  return result.data.k;
}

/** The keyset condition of an optional cursor (`undefined` on the first page). */
export function afterCursor(keyset: Keyset, cursor: string | undefined): RawBuilder<SqlBool> | undefined {
  return cursor === undefined ? undefined : keysetAfter(keyset, decodeCursor(keyset, cursor));
}

/** Cuts the `limit + 1` rows a list fetched into the page and the cursor of the next one. */
export function toPage<R extends { page_key: string }, T>(
  keyset: Keyset,
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextCursor:
      rows.length > limit && last ? encodeCursor(keyset, JSON.parse(last.page_key) as unknown[]) : null,
  };
}

/**
 * One page of a list query: adds the `page_key` select, the keyset order, `limit + 1` and the
 * cursor's condition to `query`, runs it and cuts the rows with `toPage`. `query` carries only the
 * list's own selects and filters; `map` sees its rows (without `page_key`). A bad cursor throws
 * before the query is built, so a caller running other queries beside it starts none of them.
 */
export function pageOf<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  keyset: Keyset,
  page: { limit: number; cursor?: string },
  map: (row: O) => T,
): Promise<Page<T>> {
  const after = afterCursor(keyset, page.cursor);
  // Kysely cannot resolve `select` on a generic builder; the casts stay inside this function.
  let paged = (query as SelectQueryBuilder<any, any, any>)
    .select(keysetKey(keyset).as('page_key'))
    .orderBy(keysetOrder(keyset))
    .limit(page.limit + 1);
  if (after) paged = paged.where(after);
  return paged
    .execute()
    .then((rows) => toPage(keyset, rows as (O & { page_key: string })[], page.limit, map));
}

/**
 * `pageOf` and the count of every row the query selects (the list's `total`), read side by side:
 * for lists whose filters make the count cheap enough to give with each page.
 */
export async function pageWithTotal<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  keyset: Keyset,
  page: { limit: number; cursor?: string },
  map: (row: O) => T,
): Promise<Page<T> & { total: number }> {
  const [rows, total] = await Promise.all([
    pageOf(query, keyset, page, map),
    (query as SelectQueryBuilder<any, any, any>)
      .clearSelect()
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow() as Promise<{ n: string }>,
  ]);
  return { ...rows, total: Number(total.n) };
}
