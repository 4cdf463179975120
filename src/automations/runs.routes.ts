import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { callerOf } from '../http/request-context.js';
import { getRunWithEvent, listRuns, toRunSummary } from './run.repository.js';
import { triggers } from './triggers.js';

const tag = 'Automation runs';

const runSchema = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  ruleId: z.uuid().nullable(),
  ruleName: z.string(),
  trigger: z.string(),
  depth: z.number().int(),
  leadId: z.uuid().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'waiting']),
  actions: z.array(z.record(z.string(), z.unknown())),
  jobIds: z.array(z.string()).meta({ description: 'Queue jobs of the external actions' }),
  cascadeCut: z.array(z.record(z.string(), z.unknown())),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const cursor = {
  encode: (run: { created_at: Date; id: string }) =>
    Buffer.from(JSON.stringify([run.created_at.toISOString(), run.id])).toString('base64url'),
  decode: (text: string) => {
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, string];
      const at = new Date(createdAt);
      if (Number.isNaN(at.getTime()) || !z.uuid().safeParse(id).success) throw new Error('bad cursor');
      return { createdAt: at, id };
    } catch {
      throw new AppError('validation_failed', 'The request is not valid', {
        details: [{ path: 'query.cursor', message: 'Not a cursor from a previous page' }],
      });
    }
  },
};

export function registerRunRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      path: '/runs',
      tag,
      summary: 'Rule runs, newest first (filter by rule, trigger, status; cursor pagination)',
      query: z.object({
        ruleId: z.uuid().optional(),
        trigger: z.enum(triggers).optional(),
        status: z.enum(['running', 'succeeded', 'failed', 'waiting']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(500).optional(),
      }),
      response: z.object({ items: z.array(runSchema), nextCursor: z.string().nullable() }),
      handler: async ({ req, query }) => {
        const rows = await listRuns(callerOf(req).handle.db, {
          ruleId: query.ruleId,
          trigger: query.trigger,
          status: query.status,
          after: query.cursor ? cursor.decode(query.cursor) : undefined,
          limit: query.limit + 1,
        });
        const page = rows.slice(0, query.limit);
        return {
          items: page.map(toRunSummary),
          nextCursor: rows.length > query.limit ? cursor.encode(page.at(-1)!) : null,
        };
      },
    })
    .route({
      method: 'get',
      path: '/runs/:id',
      tag,
      summary: 'One run: its event, rule, action outcomes and job ids',
      params: z.object({ id: z.uuid() }),
      response: runSchema.extend({
        event: z.object({
          id: z.uuid(),
          trigger: z.string(),
          source: z.string(),
          clientEventId: z.string().nullable(),
          phone: z.string().nullable(),
          leadId: z.uuid().nullable(),
          variables: z.record(z.string(), z.unknown()),
          createdAt: z.date(),
        }),
      }),
      errors: { 404: 'No such run' },
      handler: async ({ req, params }) => {
        const { run, event } = await getRunWithEvent(callerOf(req).handle.db, params.id);
        return {
          ...toRunSummary(run),
          event: {
            id: event.id,
            trigger: event.trigger,
            source: event.source,
            clientEventId: event.event_key?.startsWith('api:') ? event.event_key.slice(4) : null,
            phone: event.phone,
            leadId: event.lead_id,
            variables: event.variables,
            createdAt: event.created_at,
          },
        };
      },
    });
}
