import { randomUUID } from 'node:crypto';
import { Access } from '../auth/access.js';
import { actorFromColumns } from '../auth/actors.js';
import type { AppServices } from '../app/services.js';
import { AppError } from '../http/app-error.js';
import type { DeadJobContext, JobContext, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { BatchRefusedError, importLeads, type BatchProgress } from './import-leads.js';
import { deleteStoredUpload, readStoredUpload } from './import-upload.js';
import {
  addBatchProgress,
  claimImport,
  failUnfinishedImport,
  findImportRow,
  toImport,
} from './imports.repository.js';
import type { ImportRow } from './imports.repository.js';

export const importProgressEvent = 'import.progress';

type RunImportContext = JobContext<
  JobPayloads['imports.run'],
  Pick<AppServices, 'realtime' | 'leadEvents' | 'storage' | 'config'>
>;
type DeadImportContext = DeadJobContext<
  JobPayloads['imports.run'],
  Pick<AppServices, 'realtime' | 'storage'>
>;

/** An import just made final: its stored upload goes, its dashboards hear. */
async function importFinished(
  { services, handle }: Pick<DeadImportContext, 'services' | 'handle'>,
  row: ImportRow,
): Promise<void> {
  await deleteStoredUpload(services, handle, row.id, row.chunks);
  services.realtime.emitToTenant(handle.tenant.id, importProgressEvent, toImport(row));
}

/**
 * Ingests a stored upload batch by batch. Each batch commits its leads with the import's
 * counts and last line, so a retried run skips what is committed and continues; every
 * commit sends `import.progress` to the tenant's dashboards.
 */
export async function runImport(ctx: RunImportContext) {
  const { handle, services, job, signal } = ctx;
  const { importId } = job.payload;
  const db = handle.db;
  // This run's fencing token: from here on, a run still going elsewhere (it lost the job's lease
  // without noticing) has its next batch refused.
  const claim = randomUUID();
  const row = await claimImport(db, importId, claim);
  if (!row) {
    const existing = await findImportRow(db, importId);
    if (!existing) throw new PermanentJobError('No such import', 'not_found');
    return { status: existing.status };
  }

  const emitRow = (current: ImportRow | undefined) => {
    if (current) services.realtime.emitToTenant(handle.tenant.id, importProgressEvent, toImport(current));
  };
  const finish = async (status: 'completed' | 'failed', failure: string | null) => {
    const done = await db
      .updateTable('imports')
      .set({ status, failure, completed_at: new Date(), updated_at: new Date() })
      .where('id', '=', importId)
      .where('claimed_by', '=', claim)
      .returningAll()
      .executeTakeFirst();
    if (done) await importFinished(ctx, done);
  };

  try {
    await importLeads(
      {
        handle,
        actor: actorFromColumns(row.actor, row.actor_type, row.actor_id),
        access: Access.tenantWide(),
        events: services.leadEvents,
        services,
      },
      readStoredUpload(services, handle, importId, row.chunks),
      {
        assign: row.assign,
        mapping: row.mapping,
        callQueue: row.call_queue ?? undefined,
        afterLine: row.last_line,
        batchRows: services.config.importBatchRows,
        signal,
        commit: (trx, batch: BatchProgress) => addBatchProgress(trx, importId, claim, batch),
        // The import as its batch left it: the next batch may have committed since.
        committed: (_batch, current) => emitRow(current),
      },
    );
  } catch (error) {
    // A newer run owns the import: it finishes it, whatever this (stale) run's attempt.
    if (error instanceof BatchRefusedError) throw error;
    // A file the header check let through but the parser refuses cannot succeed on a retry.
    if (error instanceof AppError && error.status < 500) {
      await finish('failed', error.message);
      throw new PermanentJobError(error.message, error.code);
    }
    // The last attempt leaves the import final, with the counts it reached, before the job shows
    // as dead (`failDeadImport` then finds it final); a run killed on its last attempt never gets
    // here, and `failDeadImport` finishes it instead.
    if (job.attempt >= job.maxAttempts) await finish('failed', (error as Error).message);
    throw error;
  }
  await finish('completed', null);
  const done = (await findImportRow(db, importId))!;
  return {
    total: done.total,
    created: done.created,
    duplicates: done.duplicates,
    failed: done.failed,
    queued: done.queued,
  };
}

/**
 * `onDead` of `imports.run`: an import whose job died without its run finishing it (the process
 * was killed during the last attempt) ends `failed` with the counts its committed batches reached.
 */
export async function failDeadImport(ctx: DeadImportContext): Promise<void> {
  const done = await failUnfinishedImport(ctx.handle.db, ctx.job.payload.importId, ctx.error);
  if (done) await importFinished(ctx, done);
}
