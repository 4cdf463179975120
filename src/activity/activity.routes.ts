import { sql } from 'kysely';
import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { findLeadRow } from '../leads/index.js';
import { leadIdParams } from '../leads/index.js';

const tag = 'Lead activity';

const noteSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  body: z.string(),
  author: z.string().nullable(),
  createdAt: z.date(),
});

const timelineEntrySchema = z.object({
  type: z.enum(['activity', 'note']),
  kind: z.string(),
  actor: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
});

export function registerActivityRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'post',
      path: '/leads/:id/notes',
      tag,
      summary: 'Add a note to a lead',
      params: leadIdParams,
      body: z.object({ body: z.string().trim().min(1).max(10_000) }),
      response: noteSchema,
      errors: { 404: 'No such lead' },
      handler: async ({ req, params, body }) => {
        const { handle, apiKey } = callerOf(req);
        const lead = await findLeadRow(handle.db, params.id);
        const row = await handle.db
          .insertInto('lead_notes')
          .values({ lead_id: lead.id, body: body.body, author: apiKey.label })
          .returningAll()
          .executeTakeFirstOrThrow();
        return {
          id: row.id,
          leadId: row.lead_id,
          body: row.body,
          author: row.author,
          createdAt: row.created_at,
        };
      },
    })
    .route({
      method: 'get',
      path: '/leads/:id/notes',
      tag,
      summary: "A lead's notes, newest first",
      params: leadIdParams,
      response: z.array(noteSchema),
      errors: { 404: 'No such lead' },
      handler: async ({ req, params }) => {
        const { db } = callerOf(req).handle;
        const lead = await findLeadRow(db, params.id);
        const rows = await db
          .selectFrom('lead_notes')
          .selectAll()
          .where('lead_id', '=', lead.id)
          .orderBy('created_at', 'desc')
          .execute();
        return rows.map((row) => ({
          id: row.id,
          leadId: row.lead_id,
          body: row.body,
          author: row.author,
          createdAt: row.created_at,
        }));
      },
    })
    .route({
      method: 'get',
      path: '/leads/:id/activity',
      tag,
      summary: "A lead's timeline, oldest first: creation, assignment, field changes, notes",
      params: leadIdParams,
      response: z.array(timelineEntrySchema),
      errors: { 404: 'No such lead' },
      handler: async ({ req, params }) => {
        const { db } = callerOf(req).handle;
        const lead = await findLeadRow(db, params.id);
        const activities = db
          .selectFrom('lead_activities')
          .select([
            sql<'activity' | 'note'>`'activity'`.as('type'),
            'kind',
            'actor',
            'data',
            'created_at',
            sql<number>`id`.as('seq'),
          ])
          .where('lead_id', '=', lead.id);
        const notes = db
          .selectFrom('lead_notes')
          .select([
            sql<'activity' | 'note'>`'note'`.as('type'),
            sql<string>`'note'`.as('kind'),
            'author as actor',
            sql<Record<string, unknown>>`jsonb_build_object('noteId', id, 'body', body)`.as('data'),
            'created_at',
            sql<number>`0`.as('seq'),
          ])
          .where('lead_id', '=', lead.id);
        const rows = await activities.unionAll(notes).orderBy('created_at').orderBy('seq').execute();
        return rows.map((row) => ({
          type: row.type,
          kind: row.kind,
          actor: row.actor,
          data: row.data,
          createdAt: row.created_at,
        }));
      },
    });
}
