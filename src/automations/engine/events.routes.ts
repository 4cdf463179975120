import type { AppServices } from '../../app/services.js';
import { requireScope } from '../../auth/tenant-auth.js';
import { Reply, type ApiRouter } from '../../http/api-router.js';
import { callerOf } from '../../http/request-context.js';
import { normalisePhone } from '../../leads/index.js';
import { eventBodySchema, eventResultSchema } from './event.schemas.js';
import { EventIntake } from './event-intake.js';

/**
 * `POST <router>/…events`: on the automations router, and its alias on the CRM router. It runs
 * automation rules, so it requires the `automations` scope wherever it is mounted.
 */
export function registerEventRoute(router: ApiRouter, path: string, services: AppServices): void {
  const intake = new EventIntake();
  router.route({
    method: 'post',
    permission: 'automations.manage',
    path,
    tag: 'Automation events',
    summary: 'Fire an automation event: runs matching rules, applies internal actions, queues jobs',
    description:
      'Answers 202 with the matched rules, the internal actions applied and the jobs queued. The same `eventId` sent again does nothing and answers the first result with `duplicate: true`.',
    body: eventBodySchema,
    response: eventResultSchema,
    status: 202,
    hot: true,
    middleware: [requireScope('automations')],
    handler: async ({ req, body }) => {
      const { handle } = callerOf(req);
      const phone = body.phone ? normalisePhone(body.phone, handle.tenant.defaultCountry) : null;
      const result = await intake.handle(services, handle, {
        trigger: body.trigger,
        source: 'api',
        key: body.eventId ? `api:${body.eventId}` : null,
        clientEventId: body.eventId ?? null,
        phone,
        leadId: body.leadId ?? null,
        variables: body.variables,
        createLead: body.createLeadIfMissing ? (body.leadData ?? {}) : null,
      });
      return new Reply(202, result);
    },
  });
}
