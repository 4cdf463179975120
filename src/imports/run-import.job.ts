import type { AppServices } from '../app/services.js';
import { AppError } from '../http/app-error.js';
import type { JobContext, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { importLeads, type BatchProgress } from './import-leads.js';
import { deleteStoredUpload, readStoredUpload } from './import-upload.js';
import { addBatchProgress, findImportRow, toImport, type ImportRow } from './imports.repository.js';

export const importProgressEvent = 'import.progress';

type RunImportContext = JobContext<
  JobPayloads['imports.run'],
  Pick<AppServices, 'realtime' | 'leadEvents' | 'storage'>
>;

/**
 * Ingests a stored upload batch by batch. Each batch commits its leads with the import's
 * counts and last line, so a retried run skips what is committed and continues; every
 * commit sends `import.progress` to the tenant's dashboards.
 */
export async function runImport(ctx: RunImportContext) {
  const { handle, services, job, signal } = ctx;
  const { importId } = job.payload;
  const db = handle.db;
  const row = await findImportRow(db, importId);
  if (!row) throw new PermanentJobError('No such import', 'not_found');
  if (row.status === 'completed' || row.status === 'failed') return { status: row.status };

  const emitRow = (current: ImportRow | undefined) => {
    if (current) services.realtime.emitToTenant(handle.tenant.id, importProgressEvent, toImport(current));
  };
  const emit = async () => emitRow(await findImportRow(db, importId));
  const finish = async (status: 'completed' | 'failed', failure: string | null) => {
    await db
      .updateTable('imports')
      .set({ status, failure, completed_at: new Date(), updated_at: new Date() })
      .where('id', '=', importId)
      .execute();
    await deleteStoredUpload(services, handle, importId, row.chunks);
    await emit();
  };

  await db
    .updateTable('imports')
    .set((eb) => ({
      status: 'running',
      started_at: eb.fn.coalesce('started_at', eb.val(new Date())),
      updated_at: new Date(),
    }))
    .where('id', '=', importId)
    .execute();
  try {
    await importLeads(
      { handle, actor: row.actor, events: services.leadEvents },
      readStoredUpload(services, handle, importId, row.chunks),
      {
        assign: row.assign,
        mapping: row.mapping,
        afterLine: row.last_line,
        signal,
        commit: (trx, batch: BatchProgress) => addBatchProgress(trx, importId, batch),
        // The import as its batch left it: the next batch may have committed since.
        committed: (_batch, current) => emitRow(current),
      },
    );
  } catch (error) {
    // A file the header check let through but the parser refuses cannot succeed on a retry.
    if (error instanceof AppError && error.status < 500) {
      await finish('failed', error.message);
      throw new PermanentJobError(error.message, error.code);
    }
    if (job.attempt >= job.maxAttempts) await finish('failed', (error as Error).message);
    throw error;
  }
  await finish('completed', null);
  const done = (await findImportRow(db, importId))!;
  return { total: done.total, created: done.created, duplicates: done.duplicates, failed: done.failed };
}
