import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import {
  emailMessageSchema,
  idParams,
  sendBody,
  templateBody,
  templatePatch,
  templateSchema,
} from './email.schemas.js';
import {
  deleteEmailTemplate,
  findEmailMessage,
  findEmailTemplate,
  insertEmailTemplate,
  listSuppressions,
  listEmailTemplates,
  updateEmailTemplate,
} from './email.repository.js';
import { queueEmail, sendTestEmail } from './email.service.js';
import { requireTenantWideWrite, requireVisibleLead } from '../leads/index.js';

export function registerEmailRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'channels.manage',
      path: '/email/test',
      summary: "Send a test email through the tenant's SMTP settings",
      tag: 'Email',
      body: z.object({ to: z.email() }),
      status: 200,
      response: z.object({ accepted: z.array(z.string()), response: z.string(), messageId: z.string() }),
      errors: { 409: 'SMTP not configured', 502: 'The SMTP server refused (details.response)' },
      handler: ({ req, body }) => sendTestEmail(services, callerOf(req).handle, body.to),
    })
    .route({
      method: 'get',
      permission: null,
      path: '/email/templates',
      summary: 'Email templates',
      tag: 'Email',
      query: z.object({ ...pageQuery }),
      response: pageSchema(templateSchema),
      handler: ({ req, query }) => listEmailTemplates(callerOf(req).handle.db, query),
    })
    .route({
      method: 'post',
      permission: 'channels.manage',
      path: '/email/templates',
      summary: 'Create an email template ({{variable}} placeholders in subject, HTML and text)',
      tag: 'Email',
      body: templateBody,
      response: templateSchema,
      errors: { 409: 'Name already used' },
      handler: ({ req, body }) => insertEmailTemplate(callerOf(req).handle.db, body),
    })
    .route({
      method: 'get',
      permission: null,
      path: '/email/templates/:id',
      summary: 'One email template',
      tag: 'Email',
      params: idParams,
      response: templateSchema,
      errors: { 404: 'No such template' },
      handler: async ({ req, params }) =>
        orNotFound(await findEmailTemplate(callerOf(req).handle.db, params.id), 'Email template'),
    })
    .route({
      method: 'patch',
      permission: 'channels.manage',
      path: '/email/templates/:id',
      summary: 'Change an email template',
      tag: 'Email',
      params: idParams,
      body: templatePatch,
      response: templateSchema,
      errors: { 404: 'No such template', 409: 'Name already used' },
      handler: async ({ req, params, body }) =>
        orNotFound(await updateEmailTemplate(callerOf(req).handle.db, params.id, body), 'Email template'),
    })
    .route({
      method: 'delete',
      permission: 'channels.manage',
      path: '/email/templates/:id',
      summary: 'Delete an email template',
      tag: 'Email',
      params: idParams,
      response: z.object({ id: z.uuid() }),
      errors: { 404: 'No such template' },
      handler: async ({ req, params }) =>
        orNotFound(await deleteEmailTemplate(callerOf(req).handle.db, params.id), 'Email template'),
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/email/messages',
      summary: 'Queue one templated email to one recipient (skipped if the address is suppressed)',
      tag: 'Email',
      body: sendBody,
      status: 202,
      response: emailMessageSchema,
      errors: { 404: 'No such template or lead' },
      handler: async ({ req, body }) => {
        const { handle, access } = callerOf(req);
        // About a lead: one the caller may write (404 unseen, 403 unwritable); else a tenant-wide writer only.
        if (body.leadId) {
          const lead = await requireVisibleLead(handle.db, access, body.leadId, { write: true });
          return queueEmail(services, handle, { ...body, leadId: lead.id });
        }
        requireTenantWideWrite(access);
        return queueEmail(services, handle, body);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/email/messages/:id',
      summary: "One recipient's email and its delivery status",
      tag: 'Email',
      params: idParams,
      response: emailMessageSchema,
      errors: { 404: 'No such email' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return orNotFound(
          await findEmailMessage(handle.db, params.id, access.visibility('leads.read')),
          'Email',
        );
      },
    })
    .route({
      method: 'get',
      permission: 'channels.manage',
      path: '/email/suppressions',
      summary: 'Addresses never mailed again (unsubscribed or bounced)',
      tag: 'Email',
      query: z.object({ ...pageQuery }),
      response: pageSchema(z.object({ address: z.string(), reason: z.string(), createdAt: z.date() })),
      handler: ({ req, query }) => listSuppressions(callerOf(req).handle.db, query),
    });
}
