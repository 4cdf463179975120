import busboy from 'busboy';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { Request } from 'express';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import { callPriorities } from '../dialer/index.js';
import { leadContextOf } from '../leads/index.js';
import { importLeads, importReportSchema } from './import-leads.js';
import { startBackgroundImport } from './import-upload.js';
import { findImport, listImports, type ImportViewer } from './imports.repository.js';
import { importDetailSchema, importSchema } from './imports.schemas.js';
import type { ImportCallQueue } from './imports.tables.js';
import { limitFor } from '../tenancy/tenant-limits.js';
import { limitedBody } from './upload-limit.js';

/** Uploads up to this size (by Content-Length) are imported within the request in `auto` mode. */
export const syncImportMaxBytes = 256 * 1024;

/**
 * The CSV stream of the request: a `text/csv` body, or the `file` part of a multipart form;
 * `openBody` gives the request body, counted against the import limit, once the type is known.
 */
async function csvStream(
  req: Request,
  openBody: () => Readable,
): Promise<{ stream: Readable; fileName?: string }> {
  const type = req.headers['content-type'] ?? '';
  if (/^(text\/csv|application\/csv|text\/plain)/i.test(type)) return { stream: openBody() };
  if (!/^multipart\/form-data/i.test(type)) {
    throw new AppError(
      'unsupported_media_type',
      'Send the CSV as text/csv or as the "file" field of multipart/form-data',
    );
  }
  let form: busboy.Busboy;
  try {
    form = busboy({ headers: req.headers, limits: { files: 1 } });
  } catch (error) {
    throw formError(error); // e.g. no boundary in the content type
  }
  return new Promise((resolve, reject) => {
    form.on('file', (name, stream, info) => {
      if (name !== 'file') return void stream.resume();
      // The file's failures as the client's: a form cut short (no closing boundary) is 400
      // `invalid_file`, an upload over the limit stays 413.
      const file = new PassThrough();
      // The reader has its own error listener while it reads; a failure after it stopped (the
      // request answered already) must not become an uncaught 'error' event of the process.
      file.on('error', () => undefined);
      stream.on('error', (error) => file.destroy(formError(error)));
      form.on('error', (error) => file.destroy(formError(error)));
      resolve({ stream: stream.pipe(file), fileName: info.filename });
    });
    form.on('error', (error) => reject(formError(error)));
    form.on('close', () => reject(new AppError('invalid_file', 'The form has no "file" field')));
    // A body cut mid-upload or over the limit fails the form (and so the file stream), never the process.
    pipeline(openBody(), form, (error) => error && reject(formError(error)));
  });
}

/** A multipart failure as the client's mistake: our own refusals (413) as they are, busboy's parse errors as 400. */
function formError(error: unknown): Error {
  if (error instanceof AppError) return error;
  if ((error as { code?: string } | null)?.code === 'ECONNRESET') return error as Error; // the client went away
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('invalid_file', `The multipart form could not be read: ${reason}`, { cause: error });
}

const mappingSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Expected a JSON object of field → column name' });
      return z.NEVER;
    }
  })
  .optional()
  .meta({ description: 'Explicit header mapping, JSON: {"phone":"Contact No","name":"Customer"}' });

const importQuery = z.object({
  assign: z.enum(['true', 'false']).default('true'),
  mapping: mappingSchema,
  callQueue: z.enum(['true', 'false']).default('false').meta({
    description:
      'true: the leads the import creates or updates go to the call queue (do-not-call leads and leads already waiting are skipped), counted in `queued`',
  }),
  callPriority: z
    .enum(callPriorities)
    .optional()
    .meta({ description: 'The queue priority with callQueue=true (default medium)' }),
  callCampaign: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'The campaign of the queued calls with callQueue=true (default `default`)' }),
  mode: z
    .enum(['auto', 'sync', 'background'])
    .default('auto')
    .meta({
      description: `auto: files up to ${syncImportMaxBytes / 1024} KB (by Content-Length) within the request (200 with the report), larger ones in the background (202 with the import to follow at GET /imports/:id)`,
    }),
});

const listQuery = z.object({ ...pageQuery });

/** The call queue option of an upload; a priority or campaign without `callQueue=true` is refused. */
function callQueueOption(query: z.infer<typeof importQuery>): ImportCallQueue | undefined {
  if (query.callQueue === 'true') {
    return { priority: query.callPriority ?? 'medium', campaign: query.callCampaign };
  }
  const stray = (['callPriority', 'callCampaign'] as const).filter((name) => query[name] !== undefined);
  if (stray.length > 0) {
    throw AppError.invalidFields(
      stray.map((name) => ({ path: `query.${name}`, message: 'Only with callQueue=true' })),
    );
  }
  return undefined;
}

/** Whose imports the caller sees: all with leads.read scope `all`, else those they started. */
function importViewerOf(req: Request): ImportViewer {
  const { access, user } = callerOf(req);
  return access.scopeOf('leads.read') === 'all' ? { all: true } : { all: false, userId: user?.id ?? null };
}

export function registerImportRoutes(router: ApiRouter, services: AppServices): void {
  router.route({
    method: 'post',
    permission: 'leads.write',
    path: '/leads/import',
    tag: 'Leads',
    summary: 'Import leads from a CSV file (text/csv body or multipart field "file")',
    description:
      'Streamed; header aliases (phone/mobile/phone_number, name, email, …) or an explicit mapping; every row goes through the same dedupe, scoring and assignment as POST /leads. Bad rows are reported with line numbers; a file without a phone column is refused before anything is written. Large files run in the background: 202 with the import, progress as `import.progress` events and at GET /api/crm/imports/:id.',
    query: importQuery,
    streamBody: true,
    status: 200,
    response: z.union([importReportSchema, importSchema]),
    errors: {
      413: "The upload exceeds the import limit (the tenant's importMaxBytes override, else IMPORT_MAX_BYTES)",
      415: 'Neither text/csv nor multipart/form-data',
    },
    handler: async ({ req, res, query }) => {
      const callQueue = callQueueOption(query);
      const length = Number(req.headers['content-length']);
      const background =
        query.mode === 'background' ||
        (query.mode === 'auto' && !(Number.isFinite(length) && length <= syncImportMaxBytes));
      const { stream, fileName } = await csvStream(req, () =>
        limitedBody(req, res, limitFor(callerOf(req).handle.tenant, 'importMaxBytes', services.config)),
      );
      const ctx = leadContextOf(req, services);
      const options = { assign: query.assign === 'true', mapping: query.mapping, callQueue };
      if (!background) return importLeads(ctx, stream, options);
      const startedBy = callerOf(req).user?.id ?? null;
      return new Reply(
        202,
        await startBackgroundImport(services, ctx, stream, { ...options, fileName, startedBy }),
      );
    },
  });

  router.route({
    method: 'get',
    permission: 'leads.read',
    path: '/imports',
    tag: 'Leads',
    summary: 'Background imports, newest first, with their counts',
    description:
      'Every import for a caller whose leads.read scope is `all` (an API key acting as the tenant, admins); the imports they started for the others.',
    query: listQuery,
    response: pageSchema(importSchema),
    handler: ({ req, query }) => listImports(callerOf(req).handle.db, importViewerOf(req), query),
  });

  router.route({
    method: 'get',
    permission: 'leads.read',
    path: '/imports/:id',
    tag: 'Leads',
    summary: 'One background import: status, counts and the first 1,000 row errors with line numbers',
    params: z.object({ id: z.uuid() }),
    response: importDetailSchema,
    errors: { 404: 'No such import (or one another user started, below leads.read scope `all`)' },
    handler: async ({ req, params }) =>
      orNotFound(await findImport(callerOf(req).handle.db, importViewerOf(req), params.id), 'Import'),
  });
}
