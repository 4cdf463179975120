import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { leadContextOf, leadIdParams, leadSchema } from '../leads/index.js';
import {
  addStage,
  archivePipeline,
  createPipeline,
  deleteStage,
  findPipeline,
  listPipelines,
  patchPipeline,
  patchStage,
  reorderStages,
} from './pipeline.repository.js';
import {
  createPipelineSchema,
  moveStageSchema,
  patchPipelineSchema,
  patchStageSchema,
  pipelineIdParams,
  pipelineKinds,
  pipelineSchema,
  reorderStagesSchema,
  stageHistorySchema,
  stageIdParams,
  stageInputSchema,
} from './pipelines.schemas.js';
import {
  contactStageHistory,
  leadStageHistory,
  moveContactToStage,
  moveLeadToStage,
} from './record-stages.js';

const tag = 'Pipelines';
const moveErrors = {
  400: 'Entering a won or lost stage without a reason',
  404: 'No such record (or one the caller cannot see), or no such stage of a live pipeline of its kind',
  409: '`backward_stage_move` (forward-only pipeline), `reopen_required` (leaving won/lost), `required_fields_missing` (naming them)',
};

export function registerPipelineRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/pipelines',
      tag,
      summary: 'Create a pipeline with its ordered stages',
      description:
        '`isDefault: true` makes it the pipeline new records of its kind enter (the previous default stops being one). Stage `requiredFields` must be fields of the kind (400 naming the bad one); `leadStatus` only in lead pipelines.',
      body: createPipelineSchema,
      response: pipelineSchema,
      errors: { 409: 'A live pipeline of the kind has that name' },
      handler: ({ req, body }) => createPipeline(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/pipelines',
      tag,
      summary: 'List pipelines with their stages, oldest first (archived ones only with `archived`)',
      query: z.object({
        kind: z.enum(pipelineKinds).optional(),
        archived: z.enum(['false', 'true', 'all']).default('false'),
        ...pageQuery,
      }),
      response: pageSchema(pipelineSchema),
      handler: ({ req, query }) => listPipelines(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/pipelines/:id',
      tag,
      summary: 'Show a pipeline (by uuid or PW- reference) with its stages',
      params: pipelineIdParams,
      response: pipelineSchema,
      errors: { 404: 'No such pipeline' },
      handler: ({ req, params }) => findPipeline(callerOf(req).handle.db, params.id),
    })
    .route({
      method: 'patch',
      permission: 'settings.manage',
      path: '/pipelines/:id',
      tag,
      summary: 'Rename a pipeline, change its mode, make it the default of its kind',
      params: pipelineIdParams,
      body: patchPipelineSchema,
      response: pipelineSchema,
      errors: { 404: 'No such pipeline', 409: 'Archived, or the name is taken' },
      handler: ({ req, params, body }) => patchPipeline(callerOf(req).handle, params.id, body),
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/pipelines/:id',
      tag,
      summary: 'Archive a pipeline (never deleted: records and their history keep naming it)',
      params: pipelineIdParams,
      response: pipelineSchema,
      errors: { 404: 'No such pipeline' },
      handler: ({ req, params }) => archivePipeline(callerOf(req).handle, params.id),
    })
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/pipelines/:id/stages',
      tag,
      summary: 'Add a stage (at `position`, default last); answers the pipeline',
      params: pipelineIdParams,
      body: stageInputSchema.extend({ position: z.number().int().min(1).max(50).optional() }),
      response: pipelineSchema,
      errors: { 404: 'No such pipeline', 409: 'Archived, or the stage name is taken' },
      handler: ({ req, params, body }) => addStage(callerOf(req).handle, params.id, body),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/pipelines/:id/stages',
      tag,
      summary: 'Reorder the stages: every stage id of the pipeline, in the new order',
      params: pipelineIdParams,
      body: reorderStagesSchema,
      response: pipelineSchema,
      errors: { 400: 'Not every stage of the pipeline exactly once', 404: 'No such pipeline' },
      handler: ({ req, params, body }) => reorderStages(callerOf(req).handle, params.id, body.stageIds),
    })
    .route({
      method: 'patch',
      permission: 'settings.manage',
      path: '/pipelines/:id/stages/:stageId',
      tag,
      summary: 'Change a stage; answers the pipeline',
      params: stageIdParams,
      body: patchStageSchema,
      response: pipelineSchema,
      errors: { 404: 'No such pipeline or stage' },
      handler: ({ req, params, body }) => patchStage(callerOf(req).handle, params.id, params.stageId, body),
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/pipelines/:id/stages/:stageId',
      tag,
      summary: 'Delete a stage no record is in or was in; answers the pipeline',
      params: stageIdParams,
      response: pipelineSchema,
      errors: {
        404: 'No such pipeline or stage',
        409: 'A record is in the stage or its history names it, or it is the last stage',
      },
      handler: ({ req, params }) => deleteStage(callerOf(req).handle, params.id, params.stageId),
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/leads/:id/stage',
      tag,
      summary: "Move a lead to a stage; its status follows the stage's",
      description:
        "Status mapping: the stage's `leadStatus` if set, else `won`/`lost` for a won/lost stage, else unchanged. Logged as `stage_changed` (and `field_changed` for the status); fires the `stage_changed` trigger.",
      params: leadIdParams,
      body: moveStageSchema,
      status: 200,
      response: z.object({ lead: leadSchema, moved: z.boolean() }),
      errors: { ...moveErrors, 403: "The caller sees the lead but its 'leads.write' does not reach it" },
      handler: ({ req, params, body }) =>
        moveLeadToStage(services, leadContextOf(req, services), params.id, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/leads/:id/stages',
      tag,
      summary: "A lead's stage history (oldest first) and its time in each stage",
      params: leadIdParams,
      response: stageHistorySchema,
      errors: { 404: 'No such lead (or one the caller cannot see)' },
      handler: ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return leadStageHistory(handle, access, params.id);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/contacts/:id/stage',
      tag,
      summary: 'Move a contact to a stage',
      params: z.object({ id: z.uuid() }),
      body: moveStageSchema,
      status: 200,
      response: z.object({
        contactId: z.uuid(),
        moved: z.boolean(),
        pipelineId: z.uuid(),
        stageId: z.uuid(),
        stageEnteredAt: z.date(),
      }),
      errors: { ...moveErrors, 403: "The caller sees the contact but its 'leads.write' does not reach it" },
      handler: ({ req, params, body }) => {
        const { handle, access, actor } = callerOf(req);
        return moveContactToStage(services, handle, access, actor, params.id, body);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/contacts/:id/stages',
      tag,
      summary: "A contact's stage history (oldest first) and its time in each stage",
      params: z.object({ id: z.uuid() }),
      response: stageHistorySchema,
      errors: { 404: 'No such contact (or one the caller cannot see)' },
      handler: ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return contactStageHistory(handle, access, params.id);
      },
    });
}
