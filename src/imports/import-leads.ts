import { parse } from 'csv-parse';
import { pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import { isDeadlock } from '../db/retry-on-deadlock.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { toAppError } from '../http/error-handler.js';
import { ingestLeadsWithin, prepareLeads, type BatchOverlap, type PreparedLead } from '../leads/index.js';
import { ingestLead, loadIngestSettings, type IngestSettings } from '../leads/index.js';
import { leadUnitDeps, type LeadContext } from '../leads/index.js';
import { ingestLeadSchema, type IngestLeadInput } from '../leads/index.js';
import { isUnstorable, unstorableText } from '../http/input-contract.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { queueLeadsWithin } from '../dialer/index.js';
import { mapColumns, rowToInput, type ColumnMap, type LeadColumn } from './csv-columns.js';
import type { ImportCallQueue, RowError } from './imports.tables.js';

export const maxReportedErrors = 1000;
/** Rows per transaction: big enough to amortise round trips, small enough to keep memory flat. */
export const importBatchRows = 500;
/**
 * Rows per transaction on the embedded database: it runs in this process on one connection, so a
 * batch's statements block the event loop and every other tenant's queries until it commits. 500
 * rows held it ~2 s (issue 15: another tenant's ingest p95 2.6 s); 50 keep each hold short.
 */
export const embeddedImportBatchRows = 50;
/**
 * The parser turns a whole chunk into records in one go: a 1 MB stored part of junk lines is
 * ~350,000 records without a break for the event loop. Cut smaller, a chunk parses in milliseconds.
 */
const parseChunkBytes = 64 * 1024;

async function* smallChunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let start = 0; start < bytes.length; start += parseChunkBytes)
      yield bytes.subarray(start, start + parseChunkBytes);
  }
}

/** A turn of the event loop: timers (the lease heartbeat) and HTTP run before the next batch. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export const importReportSchema = z.object({
  rows: z.number().int(),
  created: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
  /** Leads put in the call queue (`callQueue=true`): created and updated ones, not do-not-call or already queued ones. */
  queued: z.number().int(),
  /** The first 1,000 row errors, with the file's line numbers. */
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/**
 * Thrown by an import's `commit` when the batch must not be written at all (the import is no
 * longer this run's, see `ImportOptions.commit`): the batch rolls back and the import stops, with
 * no row-by-row retry.
 */
export class BatchRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchRefusedError';
  }
}

/** What one batch added, and where in the file it ends. */
export interface BatchProgress {
  rows: number;
  created: number;
  duplicates: number;
  failed: number;
  /** Leads the batch put in the call queue. */
  queued: number;
  errors: RowError[];
  /** The file line of the batch's last record. */
  lastLine: number;
  /** Bytes of the file parsed so far. */
  bytes: number;
}

export interface ImportOptions<Committed = void> {
  assign: boolean;
  mapping?: Partial<Record<LeadColumn, string>>;
  /**
   * Queues the leads each batch created or updated (a duplicate row's existing lead) for calling,
   * in the batch's unit of work; do-not-call leads and leads already waiting are skipped.
   */
  callQueue?: ImportCallQueue;
  /** Records up to this line were committed by an earlier run: skipped. */
  afterLine?: number;
  /** Called inside each batch's transaction, so progress commits with the batch's leads. */
  commit?: (trx: TenantDb, batch: BatchProgress) => Promise<Committed>;
  /** Called after each batch's commit, in file order, with what its `commit` returned. */
  committed?: (batch: BatchProgress, value: Committed | undefined) => void | Promise<void>;
  signal?: AbortSignal;
  /** Rows per transaction; by default by database kind (`embeddedImportBatchRows`). */
  batchRows?: number;
}

function reasonOf(error: unknown): string {
  const appError = toAppError(error);
  if (appError.status >= 500) throw error;
  const details = Array.isArray(appError.details)
    ? (appError.details as { path: string; message: string }[])
    : [];
  return details.length
    ? details.map((d) => `${d.path.replace(/^body\./, '')}: ${d.message}`).join('; ')
    : appError.message;
}

interface Row {
  line: number;
  input: IngestLeadInput;
}

/** A batch being written, as the batch after it sees it. */
interface WrittenBatch {
  /** Settles when its first transaction ends: resolves if that committed, rejects otherwise. */
  committed: Promise<void>;
  /** Resolves when the batch is committed and reported; rejects if the import must stop. */
  finished: Promise<void>;
  phones: ReadonlySet<string>;
}

type Written<Committed> = { batch: BatchProgress; value: Committed | undefined };

/**
 * Writes one batch: `write` in one transaction (see `ingestLeadsWithin`), progress included;
 * `rowByRow` each row on its own, so one row the database refuses never takes the others down.
 */
function batchWriter<Committed>(
  ctx: LeadContext,
  settings: IngestSettings,
  rows: Row[],
  leads: PreparedLead[],
  progress: BatchProgress,
  commit: ImportOptions<Committed>['commit'],
  callQueue: ImportCallQueue | undefined,
) {
  const apply = (batch: BatchProgress, row: Row, outcome: { duplicate: boolean } | { error: unknown }) => {
    if ('error' in outcome) {
      batch.failed++;
      batch.errors.push({ line: row.line, reason: reasonOf(outcome.error) });
    } else if (outcome.duplicate) batch.duplicates++;
    else batch.created++;
  };
  const copy = (): BatchProgress => ({ ...progress, errors: [...progress.errors] });
  /** The batch's leads (new ones and the existing leads of duplicate rows) into the call queue. */
  const queueCalls = async (unit: TenantUnitOfWork<never>, batch: BatchProgress, leadIds: string[]) => {
    if (!callQueue || leadIds.length === 0) return;
    const { queued } = await queueLeadsWithin(unit, ctx.handle, {
      leadIds,
      priority: callQueue.priority,
      campaign: callQueue.campaign,
      actor: ctx.actor,
      visibility: ctx.access.visibility('leads.write'),
      now: new Date(),
    });
    batch.queued = queued.length;
  };
  /**
   * The batch's errors in file order before anyone sees them (its `commit` stores them, the report
   * and the progress event show them): the rows the parser or schema refused were gathered before
   * the ones the ingest refused (an invalid phone), so the two kinds arrive apart (issue 16).
   */
  const inLineOrder = (batch: BatchProgress) => {
    batch.errors.sort((a, b) => a.line - b.line);
    return batch;
  };
  /** `attempts` 1: a deadlock of the overlapped first write is retried alone, after the batch before. */
  const write = (overlap?: BatchOverlap, attempts?: number): Promise<Written<Committed>> =>
    inTenantTransaction(
      leadUnitDeps(ctx),
      ctx.handle,
      async (unit) => {
        const { trx, publish } = unit;
        const batch = copy();
        const result = await ingestLeadsWithin(trx, ctx, leads, settings, overlap);
        rows.forEach((row, index) => apply(batch, row, result.outcomes[index]!));
        await queueCalls(
          unit,
          batch,
          result.outcomes.flatMap((outcome) => ('row' in outcome ? [outcome.row.id] : [])),
        );
        inLineOrder(batch);
        const value = await commit?.(trx, batch);
        publish(...result.events);
        return { batch, value };
      },
      { attempts },
    );
  const rowByRow = async (): Promise<Written<Committed>> => {
    const batch = copy();
    const leadIds: string[] = [];
    for (const row of rows) {
      try {
        const { lead, duplicate } = await ingestLead(ctx, row.input, settings);
        leadIds.push(lead.id);
        apply(batch, row, { duplicate });
      } catch (error) {
        apply(batch, row, { error });
      }
    }
    inLineOrder(batch);
    if (!callQueue) {
      const value = commit && (await ctx.handle.db.transaction().execute((trx) => commit(trx, batch)));
      return { batch, value };
    }
    // The rows are written one by one; their queueing commits with the batch's progress.
    const value = await inTenantTransaction(leadUnitDeps(ctx), ctx.handle, async (unit) => {
      await queueCalls(unit, batch, leadIds);
      return commit?.(unit.trx, batch);
    });
    return { batch, value };
  };
  return { write, rowByRow };
}

/**
 * Streams a CSV file into leads through the lead ingest (same dedupe, scoring and
 * assignment), one batch of rows per transaction, with backpressure, so memory stays flat.
 * The header is checked before anything is written; a bad row is reported with its line and
 * never stops the file.
 */
export async function importLeads<Committed>(
  ctx: LeadContext,
  source: Readable,
  options: ImportOptions<Committed>,
): Promise<ImportReport> {
  const settings = await loadIngestSettings(ctx.handle);
  const batchRows =
    options.batchRows ?? (ctx.handle.server.kind === 'pglite' ? embeddedImportBatchRows : importBatchRows);
  const report: ImportReport = { rows: 0, created: 0, duplicates: 0, failed: 0, queued: 0, errors: [] };
  const afterLine = options.afterLine ?? 0;
  let batch = { rows: [] as Row[], errors: [] as RowError[] };
  const fail = (line: number, reason: string) => batch.errors.push({ line, reason });
  let lastSkippedLine = 0;
  // `pipeline`, not `.pipe()`: a source that fails (a stored part that cannot be read) fails the
  // iteration below, so the import; `.pipe()` leaves its 'error' event unhandled, killing the process.
  const parser = pipeline(
    source,
    smallChunks,
    parse({
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const line = Number(error?.lines);
        // One error per line: the parser may report several problems of one record.
        if (error && line > afterLine && line !== lastSkippedLine)
          fail(line, `Not valid CSV: ${error.message}`);
        lastSkippedLine = line;
        return undefined;
      },
    }),
    // The iteration below sees the same error; this callback only keeps it from being unhandled.
    () => undefined,
  );

  /**
   * Starts writing the rows gathered so far. Two batches are written at once: one inserts its
   * new leads while the one before it finishes, then commits and is reported after it.
   */
  const flush = (lastLine: number, bytes: number, previous: WrittenBatch | undefined): WrittenBatch => {
    const { rows } = batch;
    // The parser reads ahead: a CSV error past this batch's last line belongs to the next one.
    const errors = batch.errors.filter((error) => error.line <= lastLine);
    batch = { rows: [], errors: batch.errors.filter((error) => error.line > lastLine) };
    const start: BatchProgress = {
      rows: rows.length + errors.length,
      created: 0,
      duplicates: 0,
      failed: errors.length,
      queued: 0,
      errors,
      lastLine,
      bytes,
    };
    const leads = prepareLeads(
      ctx,
      rows.map((row) => row.input),
      settings,
    );
    const writer = batchWriter(ctx, settings, rows, leads, start, options.commit, options.callQueue);
    // Overlaps the batch before (`BatchOverlap`): waits only for its first transaction, which needs
    // no second connection, while this one holds a connection.
    const overlap = previous && { heldPhones: previous.phones, previous: previous.committed };
    const first = writer.write(overlap, 1);
    const committed = first.then(() => undefined);
    // Awaited only by the batch after this one, if any.
    committed.catch(() => undefined);
    const finished = (async () => {
      const { batch: done, value } = await first.catch(async (error: unknown) => {
        if (error instanceof BatchRefusedError) throw error;
        // Written again alone once the batch before is done, if that one (or a deadlock) failed
        // this attempt; a failure of its own goes row by row.
        await previous?.finished;
        const previousFailed = await previous?.committed.then(
          () => false,
          () => true,
        );
        if (!previousFailed && !isDeadlock(error)) return writer.rowByRow();
        return writer.write().catch((again: unknown) => {
          if (again instanceof BatchRefusedError) throw again;
          return writer.rowByRow();
        });
      });
      // Reports stay in file order: batches one after the other, each batch's errors sorted.
      await previous?.finished;
      report.rows += done.rows;
      report.created += done.created;
      report.duplicates += done.duplicates;
      report.failed += done.failed;
      report.queued += done.queued;
      report.errors.push(...done.errors.slice(0, maxReportedErrors - report.errors.length));
      await options.committed?.(done, value);
    })();
    // Awaited by the next batch or at the end; until then a failure must not count as unhandled.
    finished.catch(() => undefined);
    const phones = new Set(leads.flatMap((lead) => ('values' in lead ? [lead.values.phone] : [])));
    return { committed, finished, phones };
  };

  let columns: ColumnMap | undefined;
  let last = { lines: afterLine, bytes: 0 };
  // Batches are parsed while others are written; they commit one after the other.
  let writing: WrittenBatch | undefined;
  let beforeWriting: Promise<void> | undefined;
  const startBatch = async (lastLine: number, bytes: number) => {
    // At most two batches at once: the one before the last must be done.
    await beforeWriting;
    // Another tenant's statement queued meanwhile gets the connection before this batch's.
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    beforeWriting = writing?.finished;
    writing = flush(lastLine, bytes, writing);
  };
  let records = 0;
  let headerUnstorable = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number; bytes: number };
    }>) {
      // Skipped rows, rows that all fail validation, or an embedded database that answers in
      // microtasks would otherwise never give the event loop a turn.
      if (++records % importBatchRows === 0) await yieldToEventLoop();
      if (!columns) {
        columns = mapColumns(record, options.mapping);
        headerUnstorable = record.some(isUnstorable);
        continue;
      }
      last = info;
      if (info.lines <= afterLine) continue;
      const input = rowToInput(record, columns);
      // A cell the database cannot store (NUL) fails its row, as a request's field is refused.
      const unstorable = headerUnstorable || record.some(isUnstorable) ? unstorableText('row', input) : [];
      const parsed = ingestLeadSchema.safeParse({ ...input, assign: options.assign });
      if (unstorable.length > 0)
        fail(info.lines, unstorable.map((issue) => `${issue.path.slice(4)}: ${issue.message}`).join('; '));
      else if (parsed.success) batch.rows.push({ line: info.lines, input: parsed.data });
      else
        fail(
          info.lines,
          parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
        );
      if (batch.rows.length + batch.errors.length >= batchRows) await startBatch(info.lines, info.bytes);
    }
    if (!columns) throw new AppError('invalid_file', 'The file is empty: no CSV header');
    if (batch.rows.length + batch.errors.length > 0 || options.commit) {
      await startBatch(Math.max(last.lines, ...batch.errors.map((error) => error.line)), last.bytes);
    }
  } catch (error) {
    // A batch still being written must settle first: a retried run resumes after what it commits.
    await writing?.finished.catch(() => undefined);
    throw error;
  }
  await writing?.finished;
  return report;
}
