import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { leadIdParams, leadSchema } from '../leads/index.js';
import { eraseLead } from './erase-lead.js';

const count = z.number().int();

export function registerErasureRoutes(router: ApiRouter, services: AppServices): void {
  router.route({
    method: 'post',
    permission: 'pii.erase',
    path: '/leads/:id/erase',
    tag: 'Leads',
    summary: "Erase a person's personal data from a lead and what hangs off it (idempotent)",
    description:
      'Scrubs names, phone (replaced by `erased:<ref>`), email, company, address and custom fields from the lead and its contact; WhatsApp numbers, names, message text, content and stored media; email addresses, variables and text; notes; personal values in the timeline and automation records. Status, source, tags, score, agent, timestamps and the non-personal history stay; an `erased` entry records who erased. Needs `pii.erase` (owner and admin); a lead the caller cannot see is a 404. Repeating it answers `alreadyErased: true`.',
    status: 200,
    params: leadIdParams,
    response: z.object({
      lead: leadSchema,
      alreadyErased: z.boolean(),
      erased: z
        .object({
          contacts: count,
          conversations: count,
          messages: count,
          mediaObjects: count,
          emailMessages: count,
          notes: count,
          activities: count,
          meetings: count,
          automationRecords: count,
          whatsappEvents: count,
        })
        .nullable()
        .meta({ description: 'What was scrubbed (null when the lead was already erased)' }),
    }),
    errors: { 404: 'No such lead' },
    handler: ({ req, params }) => {
      const { handle, access, actor } = callerOf(req);
      return eraseLead({ handle, access, actor, services }, params.id);
    },
  });
}
