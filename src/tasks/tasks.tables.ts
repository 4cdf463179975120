import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

export const taskTypes = ['pipeline', 'manual', 'follow_up', 'call', 'other'] as const;
export const taskPriorities = ['low', 'medium', 'high', 'urgent'] as const;
export const taskStatuses = [
  'pending',
  'in_progress',
  'waiting',
  'completed',
  'overdue',
  'cancelled',
] as const;
export const slaStatuses = ['on_track', 'at_risk', 'breached', 'completed', 'not_applicable'] as const;

export type TaskType = (typeof taskTypes)[number];
export type TaskPriority = (typeof taskPriorities)[number];
export type TaskStatus = (typeof taskStatuses)[number];
export type SlaStatus = (typeof slaStatuses)[number];
type ActorType = Actor['type'];

/** A bigint column: read as a string by the pg driver. */
type BigintColumn = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface SlaPoliciesTable {
  id: Generated<string>;
  name: string;
  task_type: TaskType | null;
  priority: TaskPriority | null;
  sla_seconds: number;
  at_risk_percent: Generated<number>;
  pause_statuses: Generated<TaskStatus[]>;
  calendar_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TasksTable {
  id: Generated<string>;
  number: Generated<string>;
  title: string;
  description: string | null;
  type: TaskType;
  priority: Generated<TaskPriority>;
  status: Generated<TaskStatus>;
  lead_id: string | null;
  contact_id: string | null;
  deal_id: string | null;
  assignee_agent_id: string | null;
  due_at: Date | null;
  sla_policy_id: string | null;
  sla_seconds: number | null;
  sla_at_risk_percent: number | null;
  sla_pause_statuses: TaskStatus[] | null;
  sla_calendar_id: string | null;
  sla_status: Generated<SlaStatus>;
  sla_started_at: Date | null;
  sla_consumed_ms: ColumnType<string, string | number | undefined, string | number>;
  sla_running_since: Date | null;
  sla_at_risk_at: Date | null;
  sla_deadline: Date | null;
  sla_breached_at: Date | null;
  sla_breach_ms: BigintColumn | null;
  stage_id: string | null;
  template_key: string | null;
  completed_at: Date | null;
  completed_by: string | null;
  completed_by_type: ActorType | null;
  completed_by_id: string | null;
  completion_note: string | null;
  cancelled_at: Date | null;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TasksTables {
  tasks: TasksTable;
  sla_policies: SlaPoliciesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends TasksTables {}
}
