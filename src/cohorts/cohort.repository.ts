import type { Selectable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { Cohort, CreateCohortInput, ListCohortsQuery, PatchCohortInput } from './cohort.schemas.js';
import type { CohortsTable } from './cohorts.tables.js';

type CohortRow = Selectable<CohortsTable>;

export function toCohort(row: CohortRow): Cohort {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    filter: row.filter,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertCohort(
  db: TenantDb,
  input: CreateCohortInput,
  createdBy: string | null,
): Promise<Cohort> {
  const row = await db
    .insertInto('cohorts')
    .values({
      name: input.name,
      description: input.description ?? null,
      filter: JSON.stringify(input.filter),
      created_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCohort(row);
}

export async function findCohort(db: TenantDb, id: string): Promise<Cohort | undefined> {
  const row = await db.selectFrom('cohorts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toCohort(row);
}

const cohortsKeyset: Keyset = {
  list: 'cohorts',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first. */
export async function listCohorts(db: TenantDb, page: ListCohortsQuery): Promise<Page<Cohort>> {
  const query = db.selectFrom('cohorts').selectAll();
  return pageOf(query, cohortsKeyset, page, toCohort);
}

export async function updateCohort(
  db: TenantDb,
  id: string,
  patch: PatchCohortInput,
): Promise<Cohort | undefined> {
  const row = await db
    .updateTable('cohorts')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.filter !== undefined ? { filter: JSON.stringify(patch.filter) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toCohort(row);
}

export async function deleteCohort(db: TenantDb, id: string): Promise<string | undefined> {
  const row = await db.deleteFrom('cohorts').where('id', '=', id).returning('id').executeTakeFirst();
  return row?.id;
}
