import type { AppServices } from '../app/services.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { selectQueueEntries, listQueueEntries, toQueueEntry } from './call-queue.repository.js';
import {
  queueEntryParams,
  queueEntrySchema,
  queueLeadsResultSchema,
  queueLeadsSchema,
  queueFilterResultSchema,
  queueFilterSchema,
  queueListQuerySchema,
} from './call-queue.schemas.js';
import { queueLeadsMatching } from './queue-from-filter.js';
import { queueLeadsWithin } from './queue-leads.js';

const tag = 'Call queue';

export function registerCallQueueRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/call-queue',
      tag,
      summary:
        'Queue leads for the dialer with a priority (urgent, high, medium, low); a lead waits at most once',
      description:
        'Answers the entries queued and the leads skipped: `already_queued`, `do_not_call`, `not_found` (absent, archived, or a lead your `leads.write` does not reach).',
      body: queueLeadsSchema,
      response: queueLeadsResultSchema,
      handler: async ({ req, body }) => {
        const { handle, access, actor } = callerOf(req);
        const result = await inTenantTransaction(services, handle, (unit) =>
          queueLeadsWithin(unit, handle, {
            leadIds: body.leadIds,
            priority: body.priority,
            campaign: body.campaign,
            actor,
            visibility: access.visibility('leads.write'),
            now: new Date(),
          }),
        );
        return new Reply(result.queued.length > 0 ? 201 : 200, result);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/call-queue/from-filter',
      status: 200,
      tag,
      summary: 'Queue every lead a leads-list filter matches (the bulk action of the leads list)',
      body: queueFilterSchema,
      response: queueFilterResultSchema,
      handler: ({ req, body }) => queueLeadsMatching(services, callerOf(req), body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/call-queue',
      tag,
      summary:
        "The call queue in the dialer's order (priority, then oldest); filters: status, priority, campaign, lead",
      query: queueListQuerySchema.extend(pageQuery),
      response: pageSchema(queueEntrySchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listQueueEntries(handle.db, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'delete',
      permission: 'leads.write',
      path: '/call-queue/:id',
      status: 200,
      tag,
      summary: 'Take a waiting lead out of the queue (a call in progress is not stopped: 409)',
      params: queueEntryParams,
      response: queueEntrySchema,
      errors: { 404: 'No such entry', 409: 'The entry is being dialled or already finished' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return inTenantTransaction(services, handle, async (unit) => {
          const entry = orNotFound(
            await selectQueueEntries(unit.trx, access.visibility('leads.write'))
              .where('call_queue.id', '=', params.id)
              .forUpdate()
              .executeTakeFirst(),
            'Queue entry',
            { id: params.id },
          );
          if (entry.status !== 'waiting') {
            throw new AppError(
              'conflict',
              `The entry is ${entry.status}: only a waiting entry can be removed`,
              {
                details: { status: entry.status },
              },
            );
          }
          const now = new Date();
          const removed = await unit.trx
            .updateTable('call_queue')
            .set({ status: 'removed', finished_at: now, updated_at: now })
            .where('id', '=', entry.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          return toQueueEntry(removed);
        });
      },
    });
}
