import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { toAppError } from '../http/error-handler.js';
import { AppError } from '../http/app-error.js';
import { ingestLead, loadIngestSettings } from '../leads/ingest-lead.js';
import type { LeadContext } from '../leads/lead-context.js';
import { ingestLeadSchema } from '../leads/lead.schemas.js';
import { mapColumns, rowToInput, type ColumnMap, type LeadColumn } from './csv-columns.js';

const maxReportedErrors = 1000;
/** Rows ingested at once: enough to overlap round trips, few enough to keep memory flat. */
const rowsInFlight = 8;

export const importReportSchema = z.object({
  rows: z.number().int(),
  created: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
  /** The first 1,000 row errors, with the file's line numbers. */
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
});
export type ImportReport = z.infer<typeof importReportSchema>;

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

/**
 * Streams a CSV file into leads through the single-lead ingest (same dedupe, scoring and
 * assignment), a few rows at a time with backpressure, so memory stays flat. The header is
 * checked before anything is written; a bad row is reported with its line and never stops
 * the file.
 */
export async function importLeads(
  ctx: LeadContext,
  source: Readable,
  options: { assign: boolean; mapping?: Partial<Record<LeadColumn, string>> },
): Promise<ImportReport> {
  const settings = await loadIngestSettings(ctx.handle);
  const report: ImportReport = { rows: 0, created: 0, duplicates: 0, failed: 0, errors: [] };
  const fail = (line: number, reason: string) => {
    report.failed++;
    if (report.errors.length < maxReportedErrors) report.errors.push({ line, reason });
  };
  const parser = source.pipe(
    parse({
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) fail(Number(error.lines), `Not valid CSV: ${error.message}`);
        return undefined;
      },
    }),
  );

  let columns: ColumnMap | undefined;
  const inFlight = new Set<Promise<void>>();
  const samePhone = new Map<string, Promise<void>>();
  const importRow = async (row: string[], line: number) => {
    const parsed = ingestLeadSchema.safeParse({ ...rowToInput(row, columns!), assign: options.assign });
    if (!parsed.success) {
      fail(line, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
      return;
    }
    try {
      const { duplicate } = await ingestLead(ctx, parsed.data, settings);
      if (duplicate) report.duplicates++;
      else report.created++;
    } catch (error) {
      fail(line, reasonOf(error));
    }
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!columns) {
        columns = mapColumns(record, options.mapping);
        continue;
      }
      report.rows++;
      // Rows with the same phone run in file order, so the later one is the duplicate.
      const key =
        (columns.phone !== undefined ? record[columns.phone] : '')?.replace(/\D/g, '').slice(-10) ?? '';
      const line = info.lines;
      const task: Promise<void> = (samePhone.get(key) ?? Promise.resolve())
        .then(() => importRow(record, line))
        .finally(() => {
          inFlight.delete(task);
          if (samePhone.get(key) === task) samePhone.delete(key);
        });
      samePhone.set(key, task);
      inFlight.add(task);
      if (inFlight.size >= rowsInFlight) await Promise.race(inFlight);
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (!columns) throw new AppError('invalid_file', 'The file is empty: no CSV header', { status: 400 });
  return report;
}
