import type { Actor } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { announce } from '../tenancy/record-hooks.js';
import type { PipelineKind } from './pipelines.tables.js';

/** Records of one kind that entered a stage in one write (a move, or new records' first stages). */
export interface StageEntered {
  kind: PipelineKind;
  actor: Actor;
  entries: { recordId: string; stageId: string; fromStageId: string | null }[];
}

declare module '../tenancy/record-hooks.js' {
  interface RecordHooks {
    /** Announced in the transaction of every stage entry (`moveToStage`, `recordEntryStages`). */
    'pipelines.stage_entered': StageEntered;
  }
}

/** Tells the components that listen (tasks: a stage's task templates) which records entered which stage. */
export async function announceStageEntries(trx: TenantDb, entered: StageEntered): Promise<void> {
  if (entered.entries.length > 0) await announce(trx, 'pipelines.stage_entered', entered);
}
