import { z } from 'zod';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { callerOf } from '../../http/request-context.js';
import { syncTemplatesJobKind } from './templates.job.js';
import { listTemplates } from './templates.repository.js';

const templateSchema = z.object({
  name: z.string(),
  language: z.string(),
  templateId: z.string(),
  status: z.string(),
  /** Meta's reason and details for the last status change a webhook reported. */
  statusReason: z.string().nullable(),
  statusInfo: z.record(z.string(), z.unknown()).nullable(),
  qualityScore: z.string().nullable(),
  category: z.string().nullable(),
  parameterFormat: z.string().nullable(),
  components: z.array(z.unknown()),
  syncedAt: z.date(),
});

/** The WABA's message templates: sync from Meta and list the tenant's copy. */
export function registerTemplateRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'channels.manage',
      path: '/whatsapp/templates/sync',
      summary: "Queue a sync of the WABA's message templates",
      tag: 'WhatsApp',
      status: 202,
      response: z.object({ jobId: z.string(), created: z.boolean() }),
      handler: async ({ req }) => {
        const { tenant } = callerOf(req).handle;
        const job = await services.queue.enqueue(tenant.id, syncTemplatesJobKind, {});
        return { jobId: job.id, created: job.created };
      },
    })
    .route({
      method: 'get',
      permission: null,
      path: '/whatsapp/templates',
      summary: 'Message templates as last synced, with the status changes webhooks reported since',
      tag: 'WhatsApp',
      query: z.object({ status: z.string().max(60).optional(), ...pageQuery }),
      response: pageSchema(templateSchema),
      handler: ({ req, query }) =>
        listTemplates(callerOf(req).handle.db, { ...query, status: query.status?.toUpperCase() }),
    });
}
