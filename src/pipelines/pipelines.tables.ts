import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

type ActorType = Actor['type'];

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
  /** Tasks entering the stage makes for the record's owner (issue 20; validated by the API). */
  task_templates: ColumnType<StageTaskTemplate[], string | undefined, string>;
  /** Whether leaving the stage cancels the open tasks its templates made. */
  cancel_tasks_on_exit: Generated<boolean>;
  created_at: Generated<Date>;
}

/** A task a stage makes for each record entering it (the tasks component creates them). */
export interface StageTaskTemplate {
  /** Unique within the stage: which template a task came from. */
  key: string;
  title: string;
  description: string | null;
  type: 'pipeline' | 'manual' | 'follow_up' | 'call' | 'other';
  priority: 'low' | 'medium' | 'high' | 'urgent';
  /** ISO 8601 business-time duration; null: the matching SLA policy's, if any. */
  sla: string | null;
  /** ISO 8601 business-time duration from entry to the task's due time; null: no due time. */
  dueIn: string | null;
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
