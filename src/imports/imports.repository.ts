import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import { sql, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import type { TenantDatabase, TenantDb } from '../db/tenant-database.js';
import type { BatchProgress } from './import-leads.js';
import { BatchRefusedError, maxReportedErrors } from './import-leads.js';
import type { Import } from './imports.schemas.js';
import type { ImportsTable } from './imports.tables.js';

export type ImportRow = Selectable<ImportsTable>;

export function toImport(
  row: Omit<
    ImportRow,
    'errors' | 'mapping' | 'actor' | 'actor_type' | 'actor_id' | 'chunks' | 'claimed_by' | 'started_by'
  >,
): Import {
  return {
    id: row.id,
    status: row.status,
    fileName: row.file_name,
    assign: row.assign,
    total: row.total,
    created: row.created,
    duplicates: row.duplicates,
    failed: row.failed,
    queued: row.queued,
    callQueue: row.call_queue,
    bytes: Number(row.bytes),
    processedBytes: Number(row.processed_bytes),
    lastLine: row.last_line,
    failure: row.failure,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

export async function findImportRow(db: TenantDb, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Whose imports a caller sees: every import (leads.read scope `all`), or those one user started.
 * Required by the reads routes make, as the lead visibility is (ARCHITECTURE.md "Visibility").
 */
export type ImportViewer = { all: true } | { all: false; userId: string | null };

const startedBy = (viewer: ImportViewer) => (eb: ExpressionBuilder<TenantDatabase, 'imports'>) =>
  viewer.all
    ? sql<SqlBool>`true`
    : viewer.userId === null
      ? sql<SqlBool>`false`
      : eb('imports.started_by', '=', viewer.userId);

/** An import `viewer` sees, with its row errors; undefined when absent or not theirs. */
export async function findImport(db: TenantDb, viewer: ImportViewer, id: string) {
  const row = await db
    .selectFrom('imports')
    .selectAll()
    .where('id', '=', id)
    .where(startedBy(viewer))
    .executeTakeFirst();
  return row && { ...toImport(row), errors: row.errors };
}

const importsKeyset: Keyset = {
  list: 'imports',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first. */
export async function listImports(
  db: TenantDb,
  viewer: ImportViewer,
  page: { limit: number; cursor?: string },
): Promise<Page<Import>> {
  const query = db.selectFrom('imports').selectAll().where(startedBy(viewer));
  return pageOf(query, importsKeyset, page, toImport);
}

/**
 * Makes `claim` the owner of an unfinished import (a newer run takes over from an older one) and
 * answers the import as the new owner starts it, or undefined when it is finished.
 */
export async function claimImport(db: TenantDb, id: string, claim: string): Promise<ImportRow | undefined> {
  return db
    .updateTable('imports')
    .set((eb) => ({
      status: 'running',
      claimed_by: claim,
      started_at: eb.fn.coalesce('started_at', eb.val(new Date())),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('status', 'not in', ['completed', 'failed'])
    .returningAll()
    .executeTakeFirst();
}

/**
 * Ends an import that is still unfinished as `failed`, whoever claimed it: for a dead job, which
 * has no live run left to fence out. Answers the import as it ended, or undefined when it was
 * already final.
 */
export async function failUnfinishedImport(
  db: TenantDb,
  id: string,
  failure: string,
): Promise<ImportRow | undefined> {
  return db
    .updateTable('imports')
    .set({ status: 'failed', failure, completed_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

/**
 * Adds a batch's counts and errors to the import, in the batch's transaction, if `claim` still
 * owns it (else the batch is refused and rolls back); returns the import as it now is.
 */
export async function addBatchProgress(
  db: TenantDb,
  id: string,
  claim: string,
  batch: BatchProgress,
): Promise<ImportRow> {
  const row = await db
    .updateTable('imports')
    .set((eb) => ({
      total: eb('total', '+', batch.rows),
      created: eb('created', '+', batch.created),
      duplicates: eb('duplicates', '+', batch.duplicates),
      failed: eb('failed', '+', batch.failed),
      queued: eb('queued', '+', batch.queued),
      last_line: batch.lastLine,
      processed_bytes: batch.bytes,
      // Appended while fewer than 1,000 are kept, then cut to the first 1,000.
      errors: sql<string>`case when jsonb_array_length(errors) >= ${maxReportedErrors} then errors
        else (select coalesce(jsonb_agg(e order by n), '[]') from jsonb_array_elements(errors || ${JSON.stringify(batch.errors)}::jsonb)
          with ordinality as x(e, n) where n <= ${maxReportedErrors}) end`,
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('claimed_by', '=', claim)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new BatchRefusedError(`Import ${id} is no longer this run's: a newer run took it over`);
  return row;
}
