import { z } from 'zod';
import { AppError } from '../http/app-error.js';
import type { AppServices } from '../app/services.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { loadScoringSettings } from '../scoring/index.js';
import { assignPendingLeads } from './assign-pending.js';
import { archiveLead, changeLead, deleteLead, requireAssignable } from './change-lead.js';
import { leadContextOf } from './lead-context.js';
import { LeadIntake } from './lead-intake.js';
import { leadPageSchema, leadListQuerySchema } from './lead-query.schemas.js';
import { listLeads } from './lead-query.js';
import { leadStats, leadStatsQuerySchema, leadStatsSchema } from './lead-stats.js';
import { toLead } from './lead.mapper.js';
import { requireLeadRow } from './require-lead-row.js';
import { ingestLeadSchema, leadIdParams, leadSchema, patchLeadSchema } from './lead.schemas.js';

const tag = 'Leads';

/** The field name the seed systems use for a lead's source (README "Input rules"). */
const leadAliases = { leadSource: 'source' };
export function registerLeadRoutes(router: ApiRouter, services: AppServices): void {
  const intake = new LeadIntake();
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/leads',
      tag,
      summary: 'Ingest a lead: dedupe by phone, score, assign',
      description:
        "201 with the new lead; 200 with `duplicate: true` and the existing lead when the phone already has a live lead (its empty fields are filled). When that lead is one the caller cannot see (another agent's), 409 `conflict` with `details.duplicate: true` and none of its fields: the enquiry is still added to it, as to any duplicate, for its owner to see. `assignedAgentId` needs `leads.assign` (or `leads.write`) reaching that agent (403 otherwise).",
      body: ingestLeadSchema,
      aliases: { body: leadAliases },
      response: z.object({ lead: leadSchema, duplicate: z.boolean() }),
      errors: { 409: 'The phone belongs to a lead the caller cannot see (none of its fields are answered)' },
      hot: true,
      handler: async ({ req, body }) => {
        const ctx = leadContextOf(req, services);
        // A new lead given an owner: one the caller may assign to, or (an agent's own) write for.
        const owner = body.assignedAgentId;
        if (owner && !ctx.access.reaches('leads.write', owner)) requireAssignable(ctx.access, owner, owner);
        const result = await intake.ingest(ctx, body);
        if (result.duplicate && !ctx.access.reaches('leads.read', result.lead.assignedAgentId)) {
          throw new AppError(
            'conflict',
            'A lead with this phone exists that you cannot see; the enquiry was added to it',
            {
              details: { duplicate: true },
            },
          );
        }
        return new Reply(result.duplicate ? 200 : 201, result);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads',
      tag,
      summary: 'List, filter and search leads (cursor or page pagination, total count)',
      query: leadListQuerySchema,
      aliases: { query: { search: 'q' } },
      response: leadPageSchema,
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listLeads(handle, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads/stats',
      tag,
      summary:
        'Totals by status, source and agent, conversion rate (a fraction 0–1), average score, hot leads; optionally for one assigned agent',
      query: leadStatsQuerySchema,
      response: leadStatsSchema,
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return leadStats(handle, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.assign',
      path: '/leads/assign-pending',
      tag,
      summary: 'Assign waiting unassigned leads to agents who can take them now',
      description:
        'Unassigned leads are visible to scope `all` only: this needs `leads.assign` with scope `all` (403 otherwise).',
      status: 200,
      body: z.object({ limit: z.number().int().min(1).max(5000).optional() }).optional(),
      response: z.object({
        examined: z.number().int(),
        assigned: z.number().int(),
        stillPending: z.number().int(),
      }),
      handler: ({ req, body }) => {
        requireAssignable(callerOf(req).access, null, null);
        return assignPendingLeads(leadContextOf(req, services), body?.limit);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads/:id',
      tag,
      summary: 'Show a lead',
      params: leadIdParams,
      response: leadSchema,
      errors: { 404: 'No such lead (or one the caller cannot see)' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const [row, scoring] = await Promise.all([
          requireLeadRow(handle.db, access.visibility('leads.read'), params.id),
          loadScoringSettings(handle),
        ]);
        return toLead(row, scoring.hotThreshold);
      },
    })
    .route({
      method: 'patch',
      permission: 'leads.write',
      path: '/leads/:id',
      tag,
      summary:
        'Update a lead; every changed field is logged (won/lost need `reopen: true`; `score` sets a manual score, `score: null` clears it)',
      params: leadIdParams,
      body: patchLeadSchema,
      aliases: { body: leadAliases },
      response: leadSchema,
      errors: {
        403: "The caller sees the lead but its 'leads.write' does not reach it, or changes `assignedAgentId` without 'leads.assign' reaching the lead's agent and the new one",
        404: 'No such lead (or one the caller cannot see)',
        409: 'Phone taken by another live lead, a terminal status, or a status change of a lead in a pipeline (move its stage instead)',
      },
      handler: ({ req, params, body }) => changeLead(leadContextOf(req, services), params.id, body),
    })
    .route({
      method: 'delete',
      permission: 'leads.write',
      path: '/leads/:id',
      tag,
      summary: 'Archive a lead (soft delete), or delete it with ?hard=true',
      params: leadIdParams,
      query: z.object({ hard: z.enum(['true', 'false']).optional() }),
      response: z.union([leadSchema, z.object({ id: z.uuid(), deleted: z.literal(true) })]),
      errors: {
        403: "The caller sees the lead but its 'leads.write' does not reach it",
        404: 'No such lead (or one the caller cannot see)',
      },
      handler: ({ req, params, query }) =>
        query.hard === 'true'
          ? deleteLead(leadContextOf(req, services), params.id)
          : archiveLead(leadContextOf(req, services), params.id),
    });
}
