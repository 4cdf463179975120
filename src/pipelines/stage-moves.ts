import { sql, type Selectable } from 'kysely';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import { announceStageEntries } from './stage-entered.js';
import { AppError } from '../http/app-error.js';
import type {
  PipelineKind,
  PipelineStagesTable,
  PipelinesTable,
  StageHistoryTable,
} from './pipelines.tables.js';
import { isUuid } from '../http/uuid.js';

export type StageRow = Selectable<PipelineStagesTable>;
export type PipelineRow = Selectable<PipelinesTable>;
export type StageEntry = Selectable<StageHistoryTable>;
/** A stage with the pipeline it belongs to. */
export type PipelineStage = StageRow & { pipeline: PipelineRow };

/** The table of each kind of record a pipeline holds. */
const recordTables = { lead: 'leads', contact: 'contacts', deal: 'deals' } as const;

/**
 * The fields a stage may require, per kind: API name → column. Any kind may also require a
 * custom field as `customFields.<key>`. A field is empty when null, '' or an empty list; a
 * deal's `amount` also when 0 (a deal without a price yet).
 */
export const requirableFields: Record<PipelineKind, Record<string, string>> = {
  lead: {
    firstName: 'first_name',
    lastName: 'last_name',
    email: 'email',
    company: 'company',
    source: 'source',
    city: 'city',
    state: 'state',
    followUpAt: 'follow_up_at',
    assignedAgentId: 'assigned_agent_id',
    contactId: 'contact_id',
    tags: 'tags',
  },
  contact: {
    firstName: 'first_name',
    lastName: 'last_name',
    phone: 'phone',
    email: 'email',
    company: 'company',
    city: 'city',
    state: 'state',
  },
  deal: {
    amount: 'amount',
    expectedCloseDate: 'expected_close_date',
    leadId: 'lead_id',
    contactId: 'contact_id',
    ownerId: 'owner_agent_id',
    probability: 'probability',
    tags: 'tags',
  },
};

/** Whether `field` names a field records of `kind` have (for a stage's `requiredFields`). */
export function isRequirableField(kind: PipelineKind, field: string): boolean {
  return Object.hasOwn(requirableFields[kind], field) || /^customFields\.[A-Za-z0-9_.-]{1,64}$/.test(field);
}

/** The required fields `row` (a record of `kind`, as its table stores it) has empty. */
export function missingFields(
  kind: PipelineKind,
  row: Record<string, unknown>,
  required: readonly string[],
): string[] {
  return required.filter((field) => {
    const value = field.startsWith('customFields.')
      ? (row.custom_fields as Record<string, unknown> | null)?.[field.slice('customFields.'.length)]
      : row[requirableFields[kind][field]!];
    if (field === 'amount' && kind === 'deal') return value === null || Number(value) === 0;
    return (
      value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
    );
  });
}

/** The stage `stageId` with its pipeline; 404 unless it is a stage of a live pipeline of `kind`. */
export async function requirePipelineStage(
  trx: TenantDb,
  kind: PipelineKind,
  stageId: string,
): Promise<PipelineStage> {
  const stage = isUuid(stageId)
    ? await trx.selectFrom('pipeline_stages').selectAll().where('id', '=', stageId).executeTakeFirst()
    : undefined;
  const pipeline =
    stage &&
    (await trx
      .selectFrom('pipelines')
      .selectAll()
      .where('id', '=', stage.pipeline_id)
      .where('kind', '=', kind)
      .where('archived_at', 'is', null)
      .executeTakeFirst());
  if (!stage || !pipeline) throw AppError.notFound('Stage', { stageId, kind });
  return { ...stage, pipeline };
}

export interface MoveRequest {
  kind: PipelineKind;
  recordId: string;
  /** The stage to enter (of the record's pipeline, or of another pipeline of its kind). */
  stageId: string;
  actor: Actor;
  /** Required to enter a won or lost stage, and to reopen. */
  reason?: string | null;
  /** Leaving a won or lost stage. */
  reopen?: boolean;
}

export interface StageMove {
  /** The stage the record left (null: it was in no pipeline). */
  from: StageRow | null;
  to: PipelineStage;
  /** False when the record already was in that stage (nothing written). */
  moved: boolean;
  entry: StageEntry | null;
  /** The record's row, locked, as it was before the move. */
  before: Record<string, unknown>;
}

/**
 * Moves a record to a stage: the one way a record's stage changes. Locks the record's row first,
 * so concurrent moves of one record run one after another and each sees the stage the previous
 * one left (the history never overlaps or forks: at most one open entry per record, a unique
 * index). Checks, in order: the target is a stage of a live pipeline of the record's kind (404);
 * leaving a won or lost stage needs `reopen` and a reason (409 `reopen_required`); in a
 * forward-only pipeline the target comes after the current stage (409 `backward_stage_move`);
 * entering a won or lost stage needs a reason (400); the target's required fields are filled
 * (409 `required_fields_missing`, naming them). Then closes the open history entry, appends the
 * new one, and sets the record's `pipeline_id`, `stage_id`, `stage_entered_at`. What else a
 * stage means for its kind (a lead's status, a deal's status and probability) the caller writes.
 * The caller has checked that its caller sees the record (the row missing here is a 404 too).
 */
export async function moveToStage(trx: TenantDb, request: MoveRequest): Promise<StageMove> {
  const { kind, recordId, actor } = request;
  const table = recordTables[kind];
  const before = isUuid(recordId)
    ? ((await trx
        .selectFrom(table as 'deals')
        .selectAll()
        .where('id', '=', recordId)
        .forUpdate()
        .executeTakeFirst()) as Record<string, unknown> | undefined)
    : undefined;
  if (!before) throw AppError.notFound(kind === 'deal' ? 'Deal' : kind === 'lead' ? 'Lead' : 'Contact');
  const to = await requirePipelineStage(trx, kind, request.stageId);
  const from = before.stage_id
    ? ((await trx
        .selectFrom('pipeline_stages')
        .selectAll()
        .where('id', '=', before.stage_id as string)
        .executeTakeFirst()) ?? null)
    : null;
  if (from?.id === to.id) return { from, to, moved: false, entry: null, before };

  const reason = request.reason?.trim() || null;
  const reopening = from?.outcome != null;
  if (reopening && (!request.reopen || !reason)) {
    throw new AppError(
      'reopen_required',
      `The record is ${from!.outcome}: send "reopen": true and a reason`,
      {
        details: { stage: from!.name, outcome: from!.outcome },
      },
    );
  }
  const samePipeline = from !== null && from.pipeline_id === to.pipeline_id;
  if (!reopening && samePipeline && to.pipeline.mode === 'forward_only' && to.position <= from.position) {
    throw new AppError(
      'backward_stage_move',
      `The pipeline is forward-only: ${to.name} is not after ${from.name}`,
      {
        details: { from: { id: from.id, name: from.name }, to: { id: to.id, name: to.name } },
      },
    );
  }
  if (to.outcome && !reason) {
    throw AppError.invalidFields([
      { path: 'body.reason', message: `Entering a ${to.outcome} stage needs a reason` },
    ]);
  }
  const missing = missingFields(kind, before, to.required_fields);
  if (missing.length > 0) {
    throw new AppError('required_fields_missing', `The stage ${to.name} requires: ${missing.join(', ')}`, {
      details: { stage: to.name, missing },
    });
  }

  const entry = await appendStageEntry(trx, {
    kind,
    recordId: before.id as string,
    stage: to,
    actor,
    reason,
  });
  await trx
    .updateTable(table as 'deals')
    .set({
      pipeline_id: to.pipeline_id,
      stage_id: to.id,
      stage_entered_at: entry.entered_at,
      updated_at: sql<Date>`clock_timestamp()`,
    })
    .where('id', '=', before.id as string)
    .execute();
  await announceStageEntries(trx, {
    kind,
    actor,
    entries: [{ recordId: before.id as string, stageId: to.id, fromStageId: from?.id ?? null }],
  });
  return { from, to, moved: true, entry, before };
}

/**
 * Closes the record's open history entry (if any) and appends its entry into `stage`: for a
 * record entering its first stage on creation (the caller wrote its `stage_id`), and for moves.
 */
export async function appendStageEntry(
  trx: TenantDb,
  entry: { kind: PipelineKind; recordId: string; stage: StageRow; actor: Actor; reason?: string | null },
): Promise<StageEntry> {
  const closed = await trx
    .updateTable('stage_history')
    .set({ exited_at: sql<Date>`greatest(clock_timestamp(), entered_at)` })
    .where('record_kind', '=', entry.kind)
    .where('record_id', '=', entry.recordId)
    .where('exited_at', 'is', null)
    .returning('exited_at')
    .executeTakeFirst();
  const { actor, actor_type, actor_id } = actorColumns(entry.actor);
  return trx
    .insertInto('stage_history')
    .values({
      record_kind: entry.kind,
      record_id: entry.recordId,
      pipeline_id: entry.stage.pipeline_id,
      stage_id: entry.stage.id,
      // The new entry starts when the previous one ended: no gap, so the times in stage add up
      // to now − the first entry (`timeInStages`).
      ...(closed?.exited_at ? { entered_at: closed.exited_at } : {}),
      actor,
      actor_type,
      actor_id,
      reason: entry.reason ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The record leaves its pipeline (a contact's closes when a deal is created for it): its open
 * history entry is closed; its `stage_id` stays, as the stage it left from. Returns whether it had one open.
 */
export async function leavePipeline(trx: TenantDb, kind: PipelineKind, recordId: string): Promise<boolean> {
  const closed = await trx
    .updateTable('stage_history')
    .set({ exited_at: sql<Date>`greatest(clock_timestamp(), entered_at)` })
    .where('record_kind', '=', kind)
    .where('record_id', '=', recordId)
    .where('exited_at', 'is', null)
    .executeTakeFirst();
  return Number(closed.numUpdatedRows) > 0;
}
