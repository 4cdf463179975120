import type { RunStatus } from '../automations.tables.js';

export interface ActionOutcome {
  index: number;
  type: string;
  status: 'applied' | 'queued' | 'failed' | 'scheduled' | 'skipped';
  detail?: Record<string, unknown>;
  error?: { code: string; message: string; details?: unknown };
  /** The queue job that carries out an external action (its outcome lives in the queue). */
  jobId?: string;
  jobKind?: string;
  runAt?: string;
  /** Triggers this action fired (cascades). */
  triggered?: string[];
}

/** A trigger that was not followed because the cascade reached its depth limit. */
export interface CascadeCut {
  trigger: string;
  depth: number;
  variables: Record<string, unknown>;
}

/** A rule run while it is being carried out. */
export interface RunState {
  id: string;
  ruleId: string | null;
  ruleName: string;
  trigger: string;
  depth: number;
  status: RunStatus;
  outcomes: ActionOutcome[];
  jobIds: string[];
  cascadeCut: CascadeCut[];
}
