import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { requireLeadRow, requireLeadToChange } from '../leads/index.js';
import { leadIdParams } from '../leads/index.js';
import { insertNote, listNotes, listTimeline } from './activity.repository.js';

const tag = 'Lead activity';

/** Who wrote an entry; `type` and `id` are null on entries older than actor recording. */
const actorSchema = z
  .object({
    type: z.enum(['user', 'api_key', 'system']).nullable(),
    id: z.string().nullable().meta({ description: "The user's or API key's id; null for the system" }),
    name: z.string().meta({ description: "The user's name, the API key's label, or `automation: …`" }),
  })
  .nullable();

const noteSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  body: z.string(),
  author: z.string().nullable().meta({ description: "The author's display name (see `authorActor`)" }),
  authorActor: actorSchema,
  createdAt: z.date(),
});

const timelineEntrySchema = z.object({
  type: z.enum(['activity', 'note']),
  kind: z.string(),
  actor: actorSchema,
  data: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
});

export function registerActivityRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/leads/:id/notes',
      tag,
      summary: 'Add a note to a lead',
      params: leadIdParams,
      body: z.object({ body: z.string().trim().min(1).max(10_000) }),
      response: noteSchema,
      errors: { 403: "The caller's leads.write does not reach the lead", 404: 'No such lead' },
      handler: async ({ req, params, body }) => {
        const { handle, actor, access } = callerOf(req);
        const lead = await requireLeadToChange(handle.db, access, params.id);
        return insertNote(handle.db, {
          lead_id: lead.id,
          body: body.body,
          author: actor.name,
          author_type: actor.type,
          author_id: actor.id,
        });
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads/:id/notes',
      tag,
      summary: "A lead's notes, newest first",
      params: leadIdParams,
      query: z.object({ ...pageQuery }),
      response: pageSchema(noteSchema),
      errors: { 404: 'No such lead' },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        const { db } = handle;
        const lead = await requireLeadRow(db, access.visibility('leads.read'), params.id);
        return listNotes(db, lead.id, query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads/:id/activity',
      tag,
      summary: "A lead's timeline, oldest first: creation, assignment, field changes, notes",
      params: leadIdParams,
      query: z.object({ ...pageQuery }),
      response: pageSchema(timelineEntrySchema),
      errors: { 404: 'No such lead' },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        const { db } = handle;
        const lead = await requireLeadRow(db, access.visibility('leads.read'), params.id);
        return listTimeline(db, lead.id, query);
      },
    });
}
