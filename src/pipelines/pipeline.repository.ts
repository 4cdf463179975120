import { sql, type Updateable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError, type FieldIssue } from '../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';
import { entryStageKey } from './entry-stage.js';
import type {
  CreatePipelineInput,
  PatchPipelineInput,
  Pipeline,
  Stage,
  StageInput,
  TaskTemplateInput,
} from './pipelines.schemas.js';
import type { PipelineKind, PipelineStagesTable, StageTaskTemplate } from './pipelines.tables.js';
import { isRequirableField, type PipelineRow, type StageRow } from './stage-moves.js';
import { isUuid } from '../http/uuid.js';

export const pipelineRef = (number: string | number) => `PW-${number}`;

export function toStage(row: StageRow): Stage {
  return {
    id: row.id,
    position: row.position,
    name: row.name,
    probability: row.probability,
    rottingDays: row.rotting_days,
    requiredFields: row.required_fields,
    outcome: row.outcome,
    leadStatus: row.lead_status as Stage['leadStatus'],
    taskTemplates: row.task_templates,
    cancelTasksOnExit: row.cancel_tasks_on_exit,
  };
}

export function toPipeline(row: PipelineRow, stages: StageRow[]): Pipeline {
  return {
    id: row.id,
    ref: pipelineRef(row.number),
    kind: row.kind,
    name: row.name,
    mode: row.mode,
    isDefault: row.is_default,
    winOnQuotationAccepted: row.win_on_quotation_accepted,
    archivedAt: row.archived_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    stages: stages.filter((stage) => stage.pipeline_id === row.id).map(toStage),
  };
}

/** A pipeline by uuid or `PW-<n>`, archived ones included; 404 otherwise. Optionally locked. */
export async function requirePipelineRow(
  db: TenantDb,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<PipelineRow> {
  const ref = /^PW-(\d{1,15})$/i.exec(idOrRef);
  let query = db.selectFrom('pipelines').selectAll();
  if (ref) query = query.where('number', '=', ref[1]!);
  else if (isUuid(idOrRef)) query = query.where('id', '=', idOrRef);
  else throw AppError.notFound('Pipeline', { id: idOrRef });
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw AppError.notFound('Pipeline', { id: idOrRef });
  return row;
}

function stagesOf(db: TenantDb, pipelineIds: string[]): Promise<StageRow[]> {
  if (pipelineIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('pipeline_stages')
    .selectAll()
    .where('pipeline_id', 'in', pipelineIds)
    .orderBy('pipeline_id')
    .orderBy('position')
    .execute();
}

export async function findPipeline(db: TenantDb, idOrRef: string): Promise<Pipeline> {
  const row = await requirePipelineRow(db, idOrRef);
  return toPipeline(row, await stagesOf(db, [row.id]));
}

const pipelinesKeyset: Keyset = { list: 'pipelines', columns: [['number', 'bigint']], direction: 'asc' };

/** Pipelines in creation order (archived ones only when asked), each with its stages. */
export async function listPipelines(
  db: TenantDb,
  query: { kind?: PipelineKind; archived: 'false' | 'true' | 'all'; limit: number; cursor?: string },
): Promise<Page<Pipeline>> {
  let select = db.selectFrom('pipelines').selectAll();
  if (query.kind) select = select.where('kind', '=', query.kind);
  if (query.archived === 'false') select = select.where('archived_at', 'is', null);
  if (query.archived === 'true') select = select.where('archived_at', 'is not', null);
  const page = await pageOf(select, pipelinesKeyset, query, (row) => row as PipelineRow);
  const stages = await stagesOf(
    db,
    page.items.map((row) => row.id),
  );
  return { ...page, items: page.items.map((row) => toPipeline(row, stages)) };
}

/** 400 naming every stage field that does not fit a pipeline of `kind`. */
function checkStage(kind: PipelineKind, stage: Partial<StageInput>, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [i, field] of (stage.requiredFields ?? []).entries()) {
    if (!isRequirableField(kind, field)) {
      issues.push({
        path: `${path}.requiredFields.${i}`,
        message: `${kind} records have no field '${field}'`,
      });
    }
  }
  const keys = new Set<string>();
  for (const [i, template] of (stage.taskTemplates ?? []).entries()) {
    if (template.key === undefined) continue;
    if (keys.has(template.key)) {
      issues.push({
        path: `${path}.taskTemplates.${i}.key`,
        message: 'Two templates of a stage cannot share a key',
      });
    }
    keys.add(template.key);
  }
  if (stage.leadStatus && kind !== 'lead') {
    issues.push({
      path: `${path}.leadStatus`,
      message: 'Only the stages of a lead pipeline set a lead status',
    });
  }
  return issues;
}

function stageColumns(stage: Partial<StageInput>): Updateable<PipelineStagesTable> {
  const columns: Updateable<PipelineStagesTable> = {
    name: stage.name,
    probability: stage.probability,
    rotting_days: stage.rottingDays,
    required_fields: stage.requiredFields && [...new Set(stage.requiredFields)],
    outcome: stage.outcome,
    lead_status: stage.leadStatus,
    task_templates: stage.taskTemplates && JSON.stringify(storedTemplates(stage.taskTemplates)),
    cancel_tasks_on_exit: stage.cancelTasksOnExit,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

/** Templates as stored: every field present, keys given or `t<n>` (the first free one by position). */
function storedTemplates(templates: TaskTemplateInput[]): StageTaskTemplate[] {
  const taken = new Set(templates.map((template) => template.key).filter((key) => key !== undefined));
  let next = 1;
  const freeKey = () => {
    while (taken.has(`t${next}`)) next++;
    taken.add(`t${next}`);
    return `t${next}`;
  };
  return templates.map((template) => ({
    key: template.key ?? freeKey(),
    title: template.title,
    description: template.description ?? null,
    type: template.type ?? 'pipeline',
    priority: template.priority ?? 'medium',
    sla: template.sla ?? null,
    dueIn: template.dueIn ?? null,
  }));
}

function refuse(issues: FieldIssue[]): void {
  if (issues.length > 0) throw AppError.invalidFields(issues);
}

/** Forgets the memoised entry stages (any pipeline write may change which stage new records enter). */
async function forgetEntryStages(trx: TenantDb, handle: TenantHandle, kind: PipelineKind) {
  await forgetTenantValue(trx, handle, entryStageKey(kind));
}

/** Setting a default unsets the kind's previous default first (one default per kind, an index). */
async function unsetDefault(trx: TenantDb, kind: PipelineKind, except: string | null) {
  let update = trx
    .updateTable('pipelines')
    .set({ is_default: false, updated_at: new Date() })
    .where('kind', '=', kind)
    .where('is_default', '=', true);
  if (except) update = update.where('id', '<>', except);
  await update.execute();
}

export async function createPipeline(handle: TenantHandle, input: CreatePipelineInput): Promise<Pipeline> {
  refuse(input.stages.flatMap((stage, i) => checkStage(input.kind, stage, `body.stages.${i}`)));
  const names = input.stages.map((stage) => stage.name.toLowerCase());
  const repeated = names.findIndex((name, i) => names.indexOf(name) !== i);
  if (repeated >= 0) {
    refuse([
      { path: `body.stages.${repeated}.name`, message: 'Two stages of a pipeline cannot share a name' },
    ]);
  }
  return handle.db.transaction().execute(async (trx) => {
    if (input.isDefault) await unsetDefault(trx, input.kind, null);
    const row = await trx
      .insertInto('pipelines')
      .values({
        kind: input.kind,
        name: input.name,
        mode: input.mode,
        is_default: input.isDefault,
        win_on_quotation_accepted: input.winOnQuotationAccepted,
        archived_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const stages = await trx
      .insertInto('pipeline_stages')
      .values(
        input.stages.map((stage, i) => ({
          ...stageColumns(stage),
          name: stage.name,
          pipeline_id: row.id,
          position: i + 1,
        })),
      )
      .returningAll()
      .execute();
    await forgetEntryStages(trx, handle, input.kind);
    return toPipeline(row, stages);
  });
}

/** A live pipeline, locked for a change of it or of its stages (an archived one: 409). */
async function requireLivePipeline(trx: TenantDb, idOrRef: string): Promise<PipelineRow> {
  const row = await requirePipelineRow(trx, idOrRef, { forUpdate: true });
  if (row.archived_at) {
    throw new AppError('conflict', 'The pipeline is archived', { details: { id: row.id, archived: true } });
  }
  return row;
}

export async function patchPipeline(
  handle: TenantHandle,
  idOrRef: string,
  patch: PatchPipelineInput,
): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const before = await requireLivePipeline(trx, idOrRef);
    if (patch.isDefault) await unsetDefault(trx, before.kind, before.id);
    const row = await trx
      .updateTable('pipelines')
      .set({
        name: patch.name,
        mode: patch.mode,
        is_default: patch.isDefault,
        win_on_quotation_accepted: patch.winOnQuotationAccepted,
        updated_at: new Date(),
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await forgetEntryStages(trx, handle, before.kind);
    return toPipeline(row, await stagesOf(trx, [row.id]));
  });
}

/** Archives (never deletes: records and their history keep naming it); it stops being the default. */
export async function archivePipeline(handle: TenantHandle, idOrRef: string): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const before = await requirePipelineRow(trx, idOrRef, { forUpdate: true });
    const row = before.archived_at
      ? before
      : await trx
          .updateTable('pipelines')
          .set({ archived_at: new Date(), is_default: false, updated_at: new Date() })
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
    await forgetEntryStages(trx, handle, before.kind);
    return toPipeline(row, await stagesOf(trx, [row.id]));
  });
}

async function requireStageOf(trx: TenantDb, pipeline: PipelineRow, stageId: string): Promise<StageRow> {
  const stage = await trx
    .selectFrom('pipeline_stages')
    .selectAll()
    .where('id', '=', stageId)
    .where('pipeline_id', '=', pipeline.id)
    .executeTakeFirst();
  if (!stage) throw AppError.notFound('Stage', { pipelineId: pipeline.id, stageId });
  return stage;
}

/** Adds a stage at `position` (default: last); the stages from there on move one down. */
export async function addStage(
  handle: TenantHandle,
  idOrRef: string,
  input: StageInput & { position?: number },
): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const pipeline = await requireLivePipeline(trx, idOrRef);
    refuse(checkStage(pipeline.kind, input, 'body'));
    const { count } = await trx
      .selectFrom('pipeline_stages')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('pipeline_id', '=', pipeline.id)
      .executeTakeFirstOrThrow();
    const last = Number(count) + 1;
    const position = Math.min(input.position ?? last, last);
    if (position < last) {
      // The unique (pipeline_id, position) is checked at commit: the shift may pass through duplicates.
      await trx
        .updateTable('pipeline_stages')
        .set((eb) => ({ position: eb('position', '+', 1) }))
        .where('pipeline_id', '=', pipeline.id)
        .where('position', '>=', position)
        .execute();
    }
    const { position: _position, ...stage } = input;
    await trx
      .insertInto('pipeline_stages')
      .values({ ...stageColumns(stage), name: stage.name, pipeline_id: pipeline.id, position })
      .execute();
    await forgetEntryStages(trx, handle, pipeline.kind);
    return toPipeline(pipeline, await stagesOf(trx, [pipeline.id]));
  });
}

export async function patchStage(
  handle: TenantHandle,
  idOrRef: string,
  stageId: string,
  patch: Partial<StageInput>,
): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const pipeline = await requireLivePipeline(trx, idOrRef);
    refuse(checkStage(pipeline.kind, patch, 'body'));
    const stage = await requireStageOf(trx, pipeline, stageId);
    await trx.updateTable('pipeline_stages').set(stageColumns(patch)).where('id', '=', stage.id).execute();
    await forgetEntryStages(trx, handle, pipeline.kind);
    return toPipeline(pipeline, await stagesOf(trx, [pipeline.id]));
  });
}

/**
 * Puts the pipeline's stages in the order of `stageIds` (every stage, once): positions are
 * rewritten in one transaction (the unique position is checked at commit).
 */
export async function reorderStages(
  handle: TenantHandle,
  idOrRef: string,
  stageIds: string[],
): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const pipeline = await requireLivePipeline(trx, idOrRef);
    const current = await stagesOf(trx, [pipeline.id]);
    const known = new Set(current.map((stage) => stage.id));
    const given = new Set(stageIds);
    if (
      given.size !== stageIds.length ||
      given.size !== known.size ||
      stageIds.some((id) => !known.has(id))
    ) {
      refuse([
        {
          path: 'body.stageIds',
          message: `Name every stage of the pipeline once (${known.size} stages: ${[...known].join(', ')})`,
        },
      ]);
    }
    for (const [i, id] of stageIds.entries()) {
      await trx
        .updateTable('pipeline_stages')
        .set({ position: i + 1 })
        .where('id', '=', id)
        .execute();
    }
    await forgetEntryStages(trx, handle, pipeline.kind);
    return toPipeline(pipeline, await stagesOf(trx, [pipeline.id]));
  });
}

/**
 * Deletes a stage no record is in and no history entry names (409 `conflict` otherwise: move the
 * records first, or keep the stage); a pipeline keeps at least one stage. The stages after it move up.
 */
export async function deleteStage(handle: TenantHandle, idOrRef: string, stageId: string): Promise<Pipeline> {
  return handle.db.transaction().execute(async (trx) => {
    const pipeline = await requireLivePipeline(trx, idOrRef);
    const stage = await requireStageOf(trx, pipeline, stageId);
    const used = await sql<{
      used: boolean;
    }>`select exists (select 1 from ${sql.id(handle.schema, 'leads')} where stage_id = ${stage.id})
        or exists (select 1 from ${sql.id(handle.schema, 'contacts')} where stage_id = ${stage.id})
        or exists (select 1 from ${sql.id(handle.schema, 'deals')} where stage_id = ${stage.id})
        or exists (select 1 from ${sql.id(handle.schema, 'stage_history')} where stage_id = ${stage.id}) as used`.execute(
      trx,
    );
    if (used.rows[0]?.used) {
      throw new AppError(
        'conflict',
        `Records are in the stage ${stage.name}, or were: it cannot be deleted`,
        {
          details: { stageId: stage.id, inUse: true },
        },
      );
    }
    const { count } = await trx
      .selectFrom('pipeline_stages')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('pipeline_id', '=', pipeline.id)
      .executeTakeFirstOrThrow();
    if (Number(count) <= 1) {
      throw new AppError('conflict', 'A pipeline keeps at least one stage', {
        details: { stageId: stage.id },
      });
    }
    await trx.deleteFrom('pipeline_stages').where('id', '=', stage.id).execute();
    await trx
      .updateTable('pipeline_stages')
      .set((eb) => ({ position: eb('position', '-', 1) }))
      .where('pipeline_id', '=', pipeline.id)
      .where('position', '>', stage.position)
      .execute();
    await forgetEntryStages(trx, handle, pipeline.kind);
    return toPipeline(pipeline, await stagesOf(trx, [pipeline.id]));
  });
}
