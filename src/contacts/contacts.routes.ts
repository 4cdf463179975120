import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import type { Access } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import {
  leadContextOf,
  leadIdParams,
  leadSchema,
  requireTenantWideWrite,
  requireWritable,
} from '../leads/index.js';
import {
  deleteContact,
  findContact,
  insertContact,
  listContacts,
  toContactColumns,
  updateContact,
} from './contact.repository.js';
import { contactFieldsSchema, contactInputSchema, contactSchema } from './contact.schemas.js';
import { convertLead } from './convert-lead.js';
import { convertDealSchema, dealSchema } from '../deals/index.js';

const tag = 'Contacts';
const idParams = z.object({ id: z.uuid() });

/** A contact the caller sees (else 404) and whose lead their `leads.write` reaches (else 403). */
async function requireWritableContact(db: TenantDb, access: Access, id: string): Promise<void> {
  orNotFound(await findContact(db, id, access.visibility('leads.read')), 'Contact', { id });
  requireWritable((await findContact(db, id, access.visibility('leads.write'))) !== undefined);
}

export function registerContactRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/leads/:id/convert',
      tag,
      summary: 'Turn a qualified lead into a contact (linked both ways)',
      description:
        "With `deal`, also creates a deal of the lead and the new contact, owned by the lead's owner, in the same transaction (`deal` in the answer; null when not asked).",
      params: leadIdParams,
      body: z.object({ deal: convertDealSchema.optional() }),
      response: z.object({ contact: contactSchema, lead: leadSchema, deal: dealSchema.nullable() }),
      errors: {
        404: 'No such lead (or deal pipeline, stage)',
        409: "Already converted, not qualified yet, or the deal stage's required fields are empty",
      },
      handler: async ({ req, params, body }) => {
        const result = await convertLead(leadContextOf(req, services), params.id, {
          deal: body.deal,
          services,
          ownAgentId: callerOf(req).user?.agentId ?? null,
        });
        return { ...result, deal: result.deal ?? null };
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/contacts',
      tag,
      summary: 'Create a contact (of no lead: a caller whose leads.write reaches every lead only)',
      body: contactInputSchema,
      response: contactSchema,
      handler: ({ req, body }) => {
        const { handle, access } = callerOf(req);
        // A contact of no lead is visible to scope `all` only: a role writing some leads would make one it cannot see.
        requireTenantWideWrite(access);
        return insertContact(handle.db, toContactColumns(body, handle.tenant.defaultCountry));
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/contacts',
      tag,
      summary: 'List contacts, newest first',
      query: z.object({
        q: z.string().trim().min(1).max(200).optional(),
        rotting: z
          .enum(['true', 'false'])
          .transform((value) => value === 'true')
          .optional()
          .meta({
            description:
              'true: in a stage with a rotting threshold and there longer than it (from stage entry or last update, the later); false: not rotting',
          }),
        ...pageQuery,
      }),
      response: pageSchema(contactSchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listContacts(handle.db, query, access.visibility('leads.read'));
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/contacts/:id',
      tag,
      summary: 'Show a contact',
      params: idParams,
      response: contactSchema,
      errors: { 404: 'No such contact' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return orNotFound(
          await findContact(handle.db, params.id, access.visibility('leads.read')),
          'Contact',
          {
            id: params.id,
          },
        );
      },
    })
    .route({
      method: 'patch',
      permission: 'leads.write',
      path: '/contacts/:id',
      tag,
      summary: 'Update a contact',
      params: idParams,
      body: contactFieldsSchema.partial(),
      response: contactSchema,
      errors: { 404: 'No such contact' },
      handler: async ({ req, params, body }) => {
        const { handle, access } = callerOf(req);
        await requireWritableContact(handle.db, access, params.id);
        const contact = orNotFound(
          await updateContact(handle.db, params.id, toContactColumns(body, handle.tenant.defaultCountry)),
          'Contact',
          { id: params.id },
        );
        return contact;
      },
    })
    .route({
      method: 'delete',
      permission: 'leads.write',
      path: '/contacts/:id',
      tag,
      summary: 'Delete a contact (its lead stays, unlinked)',
      params: idParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such contact' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        await requireWritableContact(handle.db, access, params.id);
        orNotFound(await deleteContact(handle.db, params.id), 'Contact', { id: params.id });
        return { id: params.id, deleted: true as const };
      },
    });
}
