import type { Request } from 'express';
import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { actingCallerOf, callerOf } from '../http/request-context.js';
import { orNotFound } from '../http/or-not-found.js';
import {
  addDealNote,
  changeDealStatus,
  createDeal,
  deleteDeal,
  moveDeal,
  updateDeal,
  type DealContext,
} from './deal-changes.js';
import {
  dealStages,
  listDealActivity,
  listDealNotes,
  listDeals,
  pipelineBoard,
  toDealNote,
} from './deal-reads.js';
import { toDeal } from './deal.mapper.js';
import { findDealRow } from './deal.repository.js';
import {
  boardSchema,
  createDealSchema,
  dealActivitySchema,
  dealIdParams,
  dealListQuerySchema,
  dealNoteSchema,
  dealSchema,
  dealStagesSchema,
  dealStatusChangeSchema,
  moveDealSchema,
  updateDealSchema,
} from './deal.schemas.js';

const tag = 'Deals';

/** The caller as the deal use cases see it. */
export const dealContextOf = (req: Request): DealContext => actingCallerOf(req);

export function registerDealRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/deals',
      tag,
      summary:
        "Create a deal (owner: the named agent, else the lead's owner, else your own agent profile, else none)",
      body: createDealSchema,
      response: dealSchema,
      errors: {
        404: 'No such pipeline, stage, lead or contact',
        409: "The stage's required fields are empty",
      },
      handler: ({ req, body }) => createDeal(services, dealContextOf(req), body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals',
      tag,
      summary: 'List deals (filters, sort, cursor pages)',
      query: dealListQuerySchema.extend(pageQuery),
      response: pageSchema(dealSchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listDeals(handle.db, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals/:id',
      tag,
      summary: 'Show a deal (by id or D-n)',
      params: dealIdParams,
      response: dealSchema,
      errors: { 404: 'No such deal' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const row = await findDealRow(handle.db, access.visibility('leads.read'), params.id);
        return toDeal(orNotFound(row, 'Deal', { id: params.id }));
      },
    })
    .route({
      method: 'patch',
      permission: 'leads.write',
      path: '/deals/:id',
      tag,
      summary: 'Change a deal (not its stage: POST /deals/:id/stage; a new owner needs leads.assign)',
      params: dealIdParams,
      body: updateDealSchema,
      response: dealSchema,
      errors: { 404: 'No such deal' },
      handler: ({ req, params, body }) => updateDeal(services, dealContextOf(req), params.id, body),
    })
    .route({
      method: 'delete',
      permission: 'leads.write',
      path: '/deals/:id',
      tag,
      summary: 'Delete a deal, its timeline, notes and stage history',
      params: dealIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such deal' },
      handler: ({ req, params }) => deleteDeal(services, dealContextOf(req), params.id),
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/deals/:id/stage',
      status: 200,
      tag,
      summary:
        'Move a deal to a stage (forward-only pipelines; won/lost need a reason; reopening needs reopen)',
      params: dealIdParams,
      body: moveDealSchema,
      response: dealSchema,
      errors: {
        404: 'No such deal or stage',
        409: 'Backward move, reopen required, or required fields empty',
      },
      handler: ({ req, params, body }) => moveDeal(services, dealContextOf(req), params.id, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals/:id/stages',
      tag,
      summary: "A deal's stage history, with durations and the time spent per stage",
      params: dealIdParams,
      response: dealStagesSchema,
      errors: { 404: 'No such deal' },
      handler: ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return dealStages(handle.db, access.visibility('leads.read'), params.id);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/deals/:id/status',
      status: 200,
      tag,
      summary: 'Mark a won deal closed or order_created',
      params: dealIdParams,
      body: dealStatusChangeSchema,
      response: dealSchema,
      errors: { 404: 'No such deal', 409: 'The deal is not won' },
      handler: ({ req, params, body }) =>
        changeDealStatus(services, dealContextOf(req), params.id, body.status),
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/deals/:id/notes',
      tag,
      summary: 'Add a note to a deal',
      params: dealIdParams,
      body: z.object({ body: z.string().trim().min(1).max(10_000) }),
      response: dealNoteSchema,
      errors: { 404: 'No such deal' },
      handler: async ({ req, params, body }) =>
        toDealNote(await addDealNote(services, dealContextOf(req), params.id, body.body)),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals/:id/notes',
      tag,
      summary: "A deal's notes, newest first",
      params: dealIdParams,
      query: z.object(pageQuery),
      response: pageSchema(dealNoteSchema),
      errors: { 404: 'No such deal' },
      handler: ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        return listDealNotes(handle.db, access.visibility('leads.read'), params.id, query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals/:id/activity',
      tag,
      summary: "A deal's timeline, newest first",
      params: dealIdParams,
      query: z.object(pageQuery),
      response: pageSchema(dealActivitySchema),
      errors: { 404: 'No such deal' },
      handler: ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        return listDealActivity(handle.db, access.visibility('leads.read'), params.id, query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/pipelines/:id/board',
      tag,
      summary: "A deal pipeline's board: per stage the count, the amounts per currency and the newest deals",
      params: z.object({ id: z.uuid() }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: boardSchema,
      errors: { 404: 'No such deal pipeline' },
      handler: ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        return pipelineBoard(handle.db, access.visibility('leads.read'), params.id, query.limit);
      },
    });
}
