import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { AppError, fieldIssues } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { leadPageSchema, leadPagingSchema, listLeads } from '../leads/index.js';
import {
  assignmentReport,
  findAssignmentRow,
  listAssignments,
  listOutcomes,
  toCohortAssignment,
} from './cohort-assignment.repository.js';
import { deleteCohort, findCohort, insertCohort, listCohorts, updateCohort } from './cohort.repository.js';
import {
  assignmentIdParams,
  cohortAssignmentReportSchema,
  cohortAssignmentSchema,
  cohortFilterSchema,
  cohortIdParams,
  cohortSchema,
  createCohortBody,
  leadOutcomeSchema,
  listAssignmentsQuery,
  listCohortsQuery,
  listOutcomesQuery,
  patchCohortBody,
  startAssignmentBody,
} from './cohort.schemas.js';
import { cohortFilterOf, startCohortAssignment } from './start-assignment.js';

const tag = 'Cohorts';

/** Refuses a filter the leads list would refuse, naming each field under `body.filter`. */
function checkFilter(filter: Record<string, unknown> | undefined): void {
  if (filter === undefined) return;
  const parsed = cohortFilterSchema.safeParse(filter);
  if (!parsed.success) throw AppError.invalidFields(fieldIssues('body.filter', parsed.error));
}

export function registerCohortRoutes(router: ApiRouter, services: AppServices): void {
  const cohortOr404 = async (db: Parameters<typeof findCohort>[0], id: string) =>
    orNotFound(await findCohort(db, id), 'Cohort');
  const assignmentOr404 = async (db: Parameters<typeof findAssignmentRow>[0], id: string) =>
    orNotFound(await findAssignmentRow(db, id), 'Cohort distribution');

  router
    .route({
      method: 'post',
      permission: 'leads.assign',
      path: '/cohorts',
      tag,
      summary: 'Save a segment: a leads-list filter with a name',
      description:
        'The filter takes the same fields as GET /api/crm/leads (status, source, agentId, tags, scoreMin, createdFrom, q, …) without its paging and order; unknown fields are refused. Names are unique per tenant (any case).',
      body: createCohortBody,
      response: cohortSchema,
      errors: { 409: 'A cohort with this name exists' },
      handler: async ({ req, body }) => {
        checkFilter(body.filter);
        const caller = callerOf(req);
        return insertCohort(caller.handle.db, body, caller.actor.name);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/cohorts',
      tag,
      summary: 'Cohorts, newest first (cursor pagination)',
      query: listCohortsQuery,
      response: pageSchema(cohortSchema),
      handler: async ({ req, query }) => listCohorts(callerOf(req).handle.db, query),
    })
    // Before /cohorts/:id/…: "assignments" is not a cohort id.
    .route({
      method: 'get',
      permission: 'leads.assign',
      path: '/cohorts/assignments/:jobId',
      tag,
      summary: 'One distribution (by uuid or CAJ-n): status, counts and its report',
      description:
        'The report counts the leads each agent got and the skipped and failed leads by reason; GET …/leads lists every lead with its outcome.',
      params: assignmentIdParams,
      response: cohortAssignmentReportSchema,
      errors: { 404: 'No such distribution' },
      handler: async ({ req, params }) => {
        const { db } = callerOf(req).handle;
        const row = await assignmentOr404(db, params.jobId);
        return { ...toCohortAssignment(row), report: await assignmentReport(db, row) };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.assign',
      path: '/cohorts/assignments/:jobId/leads',
      tag,
      summary: "A distribution's leads with their outcome, in the order it handled them",
      description: 'Only the leads the caller can see (leads.read scope).',
      params: assignmentIdParams,
      query: listOutcomesQuery,
      response: pageSchema(leadOutcomeSchema),
      errors: { 404: 'No such distribution' },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        const row = await assignmentOr404(handle.db, params.jobId);
        return listOutcomes(handle.db, access.visibility('leads.read'), row.id, query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/cohorts/:id',
      tag,
      summary: 'Show a cohort',
      params: cohortIdParams,
      response: cohortSchema,
      errors: { 404: 'No such cohort' },
      handler: async ({ req, params }) => cohortOr404(callerOf(req).handle.db, params.id),
    })
    .route({
      method: 'patch',
      permission: 'leads.assign',
      path: '/cohorts/:id',
      tag,
      summary: 'Rename a cohort or change its description or filter (the filter is replaced whole)',
      params: cohortIdParams,
      body: patchCohortBody,
      response: cohortSchema,
      errors: { 404: 'No such cohort', 409: 'A cohort with this name exists' },
      handler: async ({ req, params, body }) => {
        checkFilter(body.filter);
        return orNotFound(await updateCohort(callerOf(req).handle.db, params.id, body), 'Cohort');
      },
    })
    .route({
      method: 'delete',
      permission: 'leads.assign',
      path: '/cohorts/:id',
      tag,
      summary: 'Delete a cohort (its leads are untouched; its distributions stay readable by CAJ id)',
      params: cohortIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such cohort' },
      handler: async ({ req, params }) => ({
        id: orNotFound(await deleteCohort(callerOf(req).handle.db, params.id), 'Cohort'),
        deleted: true as const,
      }),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/cohorts/:id/leads',
      tag,
      summary: "The cohort's leads now: the leads list with its filter (same paging, order and total)",
      params: cohortIdParams,
      query: leadPagingSchema.strict(),
      response: leadPageSchema,
      errors: { 404: 'No such cohort', 409: "The cohort's stored filter is no longer valid" },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        const filter = cohortFilterOf(await cohortOr404(handle.db, params.id));
        return listLeads(handle, access.visibility('leads.read'), { ...filter, ...query });
      },
    })
    .route({
      method: 'post',
      permission: 'leads.assign',
      path: '/cohorts/:id/assignments',
      tag,
      summary: "Distribute the cohort's leads across agents in proportion to their capacity (background job)",
      description:
        "202 with the distribution (CAJ-n). Each agent's share is its daily limit (or weight) over the chosen agents' total; agents' daily limits hold (counted as the assignment engine counts them), and a lead its planned agent has no room for goes to the next agent with room, else fails with its reason. Leads are taken oldest reference first, up to the newest lead when asked; each is assigned as PATCH /leads/:id assigns (activity entry, lead.assigned). Progress: `cohort_assignment.progress` events and GET /cohorts/assignments/:jobId. One distribution per cohort at a time.",
      params: cohortIdParams,
      body: startAssignmentBody,
      status: 202,
      response: cohortAssignmentSchema,
      errors: {
        403: "The caller's 'leads.assign' is not of scope `all` (a distribution reassigns leads across the tenant)",
        404: 'No such cohort',
        409: 'A distribution of this cohort is still running, or its filter is no longer valid',
      },
      handler: async ({ req, params, body }) => {
        const caller = callerOf(req);
        if (caller.access.scopeOf('leads.assign') !== 'all') {
          throw new AppError(
            'forbidden',
            "Distributing a cohort reassigns leads across the tenant: it needs 'leads.assign' with scope all",
            { details: { permission: 'leads.assign', scope: 'all' } },
          );
        }
        return new Reply(
          202,
          await startCohortAssignment(services, caller.handle, caller.actor, params.id, body),
        );
      },
    })
    .route({
      method: 'get',
      permission: 'leads.assign',
      path: '/cohorts/:id/assignments',
      tag,
      summary: "The cohort's distributions, newest first (cursor pagination)",
      params: cohortIdParams,
      query: listAssignmentsQuery,
      response: pageSchema(cohortAssignmentSchema),
      errors: { 404: 'No such cohort' },
      handler: async ({ req, params, query }) => {
        const { db } = callerOf(req).handle;
        await cohortOr404(db, params.id);
        return listAssignments(db, params.id, query);
      },
    });
}
