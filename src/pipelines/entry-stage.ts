import { sql } from 'kysely';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { PipelineKind } from './pipelines.tables.js';
import { announceStageEntries } from './stage-entered.js';

/** The stage new records of a kind enter: the first stage of the kind's default pipeline. */
export interface EntryStage {
  pipelineId: string;
  stageId: string;
  /** Lead pipelines: the status the stage gives a lead (its `leadStatus`, else won/lost for an outcome). */
  leadStatus: string | null;
}

/** The memo key of a kind's entry stage: every write to pipelines or stages forgets it. */
export const entryStageKey = (kind: PipelineKind) => `pipelines.entry.${kind}`;

/**
 * The entry stage of `kind` (null: the tenant has no live default pipeline of that kind, or it has
 * no stage), memoised per process like the scoring weights: a tenant without pipelines pays a
 * map lookup per ingest, no query.
 */
export function defaultEntryStage(
  handle: TenantHandle,
  kind: PipelineKind,
  db: TenantDb = handle.db,
): Promise<EntryStage | null> {
  return handle.memo.get(entryStageKey(kind), async () => {
    const row = await db
      .selectFrom('pipelines')
      .innerJoin('pipeline_stages', 'pipeline_stages.pipeline_id', 'pipelines.id')
      .select(['pipelines.id as pipelineId', 'pipeline_stages.id as stageId', 'lead_status', 'outcome'])
      .where('pipelines.kind', '=', kind)
      .where('pipelines.is_default', '=', true)
      .where('pipelines.archived_at', 'is', null)
      .orderBy('pipeline_stages.position')
      .limit(1)
      .executeTakeFirst();
    return row
      ? { pipelineId: row.pipelineId, stageId: row.stageId, leadStatus: row.lead_status ?? row.outcome }
      : null;
  });
}

/**
 * Opens the history of records inserted straight into their first stage (their `pipeline_id`,
 * `stage_id` and `stage_entered_at` written with the insert): one entry each, entered when the
 * record's `stage_entered_at` says, in one statement for any number of records.
 */
export async function recordEntryStages(
  trx: TenantDb,
  kind: PipelineKind,
  recordIds: readonly string[],
  actor: Actor,
): Promise<void> {
  if (recordIds.length === 0) return;
  const table = kind === 'lead' ? 'leads' : kind === 'contact' ? 'contacts' : 'deals';
  const { actor: name, actor_type, actor_id } = actorColumns(actor);
  const entered = await trx
    .insertInto('stage_history')
    .columns([
      'record_kind',
      'record_id',
      'pipeline_id',
      'stage_id',
      'entered_at',
      'actor',
      'actor_type',
      'actor_id',
    ])
    .expression((eb) =>
      eb
        .selectFrom(table as 'leads')
        .select([
          sql.lit(kind).as('record_kind'),
          'id',
          'pipeline_id',
          'stage_id',
          'stage_entered_at',
          sql<string | null>`${name}::text`.as('actor'),
          sql<string | null>`${actor_type}::text`.as('actor_type'),
          sql<string | null>`${actor_id}::text`.as('actor_id'),
        ])
        .where('id', '=', sql<string>`any(${[...recordIds]}::uuid[])`)
        .where('stage_id', 'is not', null),
    )
    .returning(['record_id', 'stage_id'])
    .execute();
  await announceStageEntries(trx, {
    kind,
    actor,
    entries: entered.map((row) => ({ recordId: row.record_id, stageId: row.stage_id, fromStageId: null })),
  });
}
