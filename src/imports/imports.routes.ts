import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { leadContextOf } from '../leads/lead-context.js';
import { importLeads, importReportSchema } from './import-leads.js';

/** The CSV stream of the request: a `text/csv` body, or the `file` part of a multipart form. */
async function csvStream(req: Request): Promise<Readable> {
  const type = req.headers['content-type'] ?? '';
  if (/^(text\/csv|application\/csv|text\/plain)/i.test(type)) return req;
  if (!/^multipart\/form-data/i.test(type)) {
    throw new AppError(
      'unsupported_media_type',
      'Send the CSV as text/csv or as the "file" field of multipart/form-data',
    );
  }
  return new Promise((resolve, reject) => {
    const form = busboy({ headers: req.headers, limits: { files: 1 } });
    form.on('file', (name, stream) => {
      if (name === 'file') resolve(stream);
      else stream.resume();
    });
    form.on('error', reject);
    form.on('close', () =>
      reject(new AppError('invalid_file', 'The form has no "file" field', { status: 400 })),
    );
    req.pipe(form);
  });
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

export function registerImportRoutes(router: ApiRouter, services: AppServices): void {
  router.route({
    method: 'post',
    path: '/leads/import',
    tag: 'Leads',
    summary: 'Import leads from a CSV file (text/csv body or multipart field "file")',
    description:
      'Streamed; header aliases (phone/mobile/phone_number, name, email, …) or an explicit mapping; every row goes through the same dedupe, scoring and assignment as POST /leads. Bad rows are reported with line numbers; a file without a phone column is refused before anything is written.',
    query: z.object({ assign: z.enum(['true', 'false']).default('true'), mapping: mappingSchema }),
    status: 200,
    response: importReportSchema,
    errors: { 415: 'Neither text/csv nor multipart/form-data' },
    handler: async ({ req, query }) =>
      importLeads(leadContextOf(req, services), await csvStream(req), {
        assign: query.assign === 'true',
        mapping: query.mapping,
      }),
  });
}
