import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/** Test-only: the planner's plan for `query` (EXPLAIN, no execution), as JSON text to look into. */
export async function queryPlan(db: Kysely<any>, query: Compilable): Promise<string> {
  const { sql, parameters } = query.compile();
  const explained = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
    CompiledQuery.raw(`explain (format json) ${sql}`, [...parameters]),
  );
  return JSON.stringify(explained.rows[0]!['QUERY PLAN']);
}
