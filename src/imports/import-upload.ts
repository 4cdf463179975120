import { parse } from 'csv-parse/sync';
import { actorColumns } from '../auth/actors.js';
import { Readable } from 'node:stream';
import type { AppServices } from '../app/services.js';
import { AppError } from '../http/app-error.js';
import type { LeadContext } from '../leads/index.js';
import { tenantKey } from '../storage/object-store.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { mapColumns, type LeadColumn } from './csv-columns.js';
import { findImportRow, toImport } from './imports.repository.js';
import type { Import } from './imports.schemas.js';
import type { ImportCallQueue } from './imports.tables.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';

/** Size of the stored parts of an upload (the header must fit in the first one). */
const partBytes = 1024 * 1024;

export const importPartKey = (handle: TenantHandle, importId: string, part: number) =>
  tenantKey(handle.tenant.clientCode, 'imports', importId, `part-${String(part).padStart(6, '0')}.csv`);

/** The stream cut into `partBytes` buffers (the last one shorter), read with backpressure. */
async function* partsOf(source: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    pending.push(chunk);
    size += chunk.length;
    while (size >= partBytes) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, partBytes);
      pending = [all.subarray(partBytes)];
      size = all.length - partBytes;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}

/** The stored upload, part after part, as one stream. */
export function readStoredUpload(
  services: Pick<AppServices, 'storage'>,
  handle: TenantHandle,
  importId: string,
  parts: number,
) {
  return Readable.from(
    (async function* () {
      for (let part = 0; part < parts; part++) {
        const body = await services.storage.get(importPartKey(handle, importId, part));
        if (!body) throw new Error(`Import ${importId} lost its part ${part}`);
        yield body;
      }
    })(),
  );
}

export async function deleteStoredUpload(
  services: Pick<AppServices, 'storage'>,
  handle: TenantHandle,
  importId: string,
  parts: number,
): Promise<void> {
  for (let part = 0; part < parts; part++)
    await services.storage.delete(importPartKey(handle, importId, part));
}

/** Refuses a file whose first line is not a CSV header with a phone column (nothing stored yet). */
function checkHeader(first: Buffer, mapping: Partial<Record<LeadColumn, string>> | undefined): void {
  const end = first.indexOf(0x0a);
  if (end < 0 && first.length >= partBytes) {
    throw new AppError('invalid_file', 'The first line is not a CSV header (no line break in 1 MB)');
  }
  let header: string[] | undefined;
  try {
    [header] = parse(end < 0 ? first : first.subarray(0, end + 1), {
      bom: true,
      trim: true,
      relax_column_count: true,
    }) as string[][];
  } catch (error) {
    throw new AppError('invalid_file', `Not a CSV file: ${(error as Error).message}`);
  }
  if (!header) throw new AppError('invalid_file', 'The file is empty: no CSV header');
  mapColumns(header, mapping);
}

/**
 * Stores an upload part by part (memory stays at one part) once its header is checked,
 * then queues `imports.run`. The import row exists from the first stored part, `uploading`
 * until the last one, so a failed upload is visible and its parts are removed.
 */
export async function startBackgroundImport(
  services: AppServices,
  ctx: LeadContext,
  source: Readable,
  options: {
    assign: boolean;
    mapping?: Partial<Record<LeadColumn, string>>;
    callQueue?: ImportCallQueue;
    fileName?: string;
    /** The user who starts it: who sees it when their leads.read scope is below `all`. */
    startedBy: string | null;
  },
): Promise<Import> {
  const { handle } = ctx;
  const parts = partsOf(source);
  const first = await parts.next();
  if (first.done) throw new AppError('invalid_file', 'The file is empty: no CSV header');
  checkHeader(first.value, options.mapping);

  const { id } = await handle.db
    .insertInto('imports')
    .values({
      file_name: options.fileName ?? null,
      ...actorColumns(ctx.actor),
      started_by: options.startedBy,
      assign: options.assign,
      mapping: JSON.stringify(options.mapping ?? {}),
      call_queue: options.callQueue ? JSON.stringify(options.callQueue) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  let stored = 0;
  let bytes = 0;
  try {
    for (let part: Buffer | undefined = first.value; part;) {
      await services.storage.put(importPartKey(handle, id, stored), part, 'text/csv');
      stored++;
      bytes += part.length;
      const next = await parts.next();
      part = next.done ? undefined : next.value;
    }
  } catch (error) {
    await deleteStoredUpload(services, handle, id, stored + 1).catch(() => undefined);
    // An upload refused (over the limit, a form cut short) leaves nothing behind; one cut by
    // the connection stays visible as failed.
    if (error instanceof AppError) {
      await handle.db.deleteFrom('imports').where('id', '=', id).execute();
    } else {
      await handle.db
        .updateTable('imports')
        .set({ status: 'failed', failure: 'The upload did not complete', updated_at: new Date() })
        .where('id', '=', id)
        .execute();
    }
    throw error;
  }

  await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    await trx
      .updateTable('imports')
      .set({ status: 'queued', chunks: stored, bytes, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    await enqueue({
      tenantId: handle.tenant.id,
      kind: 'imports.run',
      payload: { importId: id },
      options: { idempotencyKey: `import:${id}` },
    });
  });
  return toImport((await findImportRow(handle.db, id))!);
}
