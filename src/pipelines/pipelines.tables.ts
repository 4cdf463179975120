import type { ColumnType, Generated } from 'kysely';
import type { ActorType } from '../activity/activity.tables.js';

export type PipelineKind = 'lead' | 'contact' | 'deal';
export type PipelineMode = 'forward_only' | 'free';
export type StageOutcome = 'won' | 'lost';

export interface PipelinesTable {
  id: Generated<string>;
  number: Generated<string>;
  kind: PipelineKind;
  name: string;
  mode: Generated<PipelineMode>;
  is_default: Generated<boolean>;
  win_on_quotation_accepted: Generated<boolean>;
  archived_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PipelineStagesTable {
  id: Generated<string>;
  pipeline_id: string;
  position: number;
  name: string;
  probability: Generated<number>;
  rotting_days: number | null;
  required_fields: Generated<string[]>;
  outcome: StageOutcome | null;
  lead_status: string | null;
  created_at: Generated<Date>;
}

export interface StageHistoryTable {
  id: Generated<string>;
  record_kind: PipelineKind;
  record_id: string;
  pipeline_id: string;
  stage_id: string;
  entered_at: Generated<Date>;
  exited_at: Date | null;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  reason: string | null;
}

export interface PipelinesTables {
  pipelines: PipelinesTable;
  pipeline_stages: PipelineStagesTable;
  stage_history: StageHistoryTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends PipelinesTables {}
}
