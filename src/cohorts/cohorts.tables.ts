import type { ColumnType, Generated } from 'kysely';

export type CohortAssignmentStatus = 'queued' | 'running' | 'completed' | 'failed';
export type CapacityBasis = 'dailyLimit' | 'weight';
export type LeadOutcome = 'assigned' | 'skipped' | 'failed';

/** An agent of a distribution, as it started: its share is `capacity` over the sum. */
export interface PlannedAgent {
  agentId: string;
  name: string;
  capacity: number;
}

type Json<T> = ColumnType<T, string, string>;
type Counter = ColumnType<number, number | undefined, number>;

export interface CohortsTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  filter: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CohortAssignmentsTable {
  id: Generated<string>;
  number: ColumnType<number, never, never>;
  cohort_id: string | null;
  cohort_name: string;
  filter: Json<Record<string, unknown>>;
  agents: Json<PlannedAgent[]>;
  capacity_basis: CapacityBasis;
  only_unassigned: boolean;
  max_leads: number | null;
  until_number: number;
  last_number: ColumnType<number, number | undefined, number>;
  actor: string | null;
  actor_type: ColumnType<string | null, string | null | undefined, string | null>;
  actor_id: ColumnType<string | null, string | null | undefined, string | null>;
  status: ColumnType<CohortAssignmentStatus, CohortAssignmentStatus | undefined, CohortAssignmentStatus>;
  processed: Counter;
  assigned: Counter;
  skipped: Counter;
  failed: Counter;
  failure: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CohortAssignmentLeadsTable {
  assignment_id: string;
  lead_id: string;
  position: number;
  lead_number: number | null;
  outcome: LeadOutcome;
  agent_id: string | null;
  reason: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface CohortsTables {
  cohorts: CohortsTable;
  cohort_assignments: CohortAssignmentsTable;
  cohort_assignment_leads: CohortAssignmentLeadsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends CohortsTables {}
}
