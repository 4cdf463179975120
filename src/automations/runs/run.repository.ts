import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { pageOf, type Keyset } from '../../http/pagination.js';
import type { AutomationEventsTable, AutomationRunsTable, RunStatus } from '../automations.tables.js';
import type { Action } from '../rules/rule.schemas.js';
import type { ActionOutcome, CascadeCut, RunState } from './run.types.js';

/** A run started by this session and not stored yet: its row is written once, when its event is done. */
export interface NewRun {
  run: RunState;
  eventId: string;
  actions: Action[];
  variables: Record<string, unknown>;
  /** `performance.now()` when it started: its `created_at` is the database's clock that long ago. */
  startedAt: number;
}

/** A run about to start: its id is chosen here, its row waits for `insertRuns`. */
export function newRun(run: {
  eventId: string;
  ruleId: string;
  ruleName: string;
  trigger: string;
  depth: number;
  actions: Action[];
  variables: Record<string, unknown>;
}): NewRun {
  return {
    run: {
      id: randomUUID(),
      ruleId: run.ruleId,
      ruleName: run.ruleName,
      trigger: run.trigger,
      depth: run.depth,
      status: 'running',
      outcomes: [],
      jobIds: [],
      cascadeCut: [],
    },
    eventId: run.eventId,
    actions: run.actions,
    variables: run.variables,
    startedAt: performance.now(),
  };
}

/**
 * The rows of finished new runs, as a query for `insert into automation_runs` (`runColumns`), in
 * the caller's statement (the event's answer is stored in the same one). Each `created_at` is
 * when its run started, on the database's clock, so runs keep their order (a cascaded run after
 * the run that caused it); the statement's text does not grow with the number of runs.
 */
export function runRows(groups: { runs: NewRun[]; leadId: string | null }[]) {
  const now = performance.now();
  const records = groups.flatMap(({ runs, leadId }) =>
    runs.map(({ run, eventId, actions, variables, startedAt }) => ({
      id: run.id,
      event_id: eventId,
      rule_id: run.ruleId,
      rule_name: run.ruleName,
      trigger: run.trigger,
      depth: run.depth,
      lead_id: leadId,
      variables,
      status: run.status,
      rule_actions: actions,
      outcomes: run.outcomes,
      job_ids: run.jobIds,
      cascade_cut: run.cascadeCut,
      age_ms: now - startedAt,
    })),
  );
  return sql`select id, event_id, rule_id, rule_name, trigger, depth, lead_id, variables, status,
      rule_actions, outcomes, job_ids, cascade_cut, clock_timestamp() - age_ms * interval '1 millisecond'
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r (id uuid, event_id uuid, rule_id uuid,
      rule_name text, trigger text, depth integer, lead_id uuid, variables jsonb, status text,
      rule_actions jsonb, outcomes jsonb, job_ids text[], cascade_cut jsonb, age_ms float8)`;
}

export const runColumns = [
  'id',
  'event_id',
  'rule_id',
  'rule_name',
  'trigger',
  'depth',
  'lead_id',
  'variables',
  'status',
  'rule_actions',
  'outcomes',
  'job_ids',
  'cascade_cut',
  'created_at',
] as const;

/** Stores finished new runs (one statement). */
export async function insertRuns(trx: TenantDb, runs: NewRun[], leadId: string | null): Promise<void> {
  if (runs.length === 0) return;
  await trx
    .insertInto('automation_runs')
    .columns(runColumns)
    .expression(runRows([{ runs, leadId }]))
    .execute();
}

export async function saveRun(trx: TenantDb, run: RunState, leadId: string | null): Promise<void> {
  await trx
    .updateTable('automation_runs')
    .set({
      status: run.status,
      outcomes: JSON.stringify(run.outcomes),
      job_ids: run.jobIds,
      cascade_cut: JSON.stringify(run.cascadeCut),
      lead_id: leadId,
      updated_at: new Date(),
    })
    .where('id', '=', run.id)
    .execute();
}

export type RunRow = Selectable<AutomationRunsTable>;

/** A run locked for update (a resumed run is continued once). */
export async function lockRun(trx: TenantDb, id: string): Promise<RunRow | undefined> {
  return trx.selectFrom('automation_runs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function runStateOf(row: RunRow): RunState {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    trigger: row.trigger,
    depth: row.depth,
    status: row.status,
    outcomes: row.outcomes as ActionOutcome[],
    jobIds: row.job_ids,
    cascadeCut: row.cascade_cut as CascadeCut[],
  };
}

export interface RunFilter {
  ruleId?: string;
  trigger?: string;
  status?: RunStatus;
  /** The previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

const runKeyset: Keyset = {
  list: 'runs',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

export function toRunSummary(row: RunRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    trigger: row.trigger,
    depth: row.depth,
    leadId: row.lead_id,
    status: row.status,
    actions: row.outcomes as ActionOutcome[],
    jobIds: row.job_ids,
    cascadeCut: row.cascade_cut as CascadeCut[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Newest first. */
export async function listRuns(db: TenantDb, filter: RunFilter) {
  let query = db.selectFrom('automation_runs').selectAll();
  if (filter.ruleId) query = query.where('rule_id', '=', filter.ruleId);
  if (filter.trigger) query = query.where('trigger', '=', filter.trigger);
  if (filter.status) query = query.where('status', '=', filter.status);
  return pageOf(query, runKeyset, filter, toRunSummary);
}

export async function findRunWithEvent(
  db: TenantDb,
  id: string,
): Promise<{ run: RunRow; event: Selectable<AutomationEventsTable> } | undefined> {
  const run = await db.selectFrom('automation_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!run) return undefined;
  const event = await db
    .selectFrom('automation_events')
    .selectAll()
    .where('id', '=', run.event_id)
    .executeTakeFirstOrThrow();
  return { run, event };
}

/** The detail an action's job stored on its outcome (undefined when none, or no such run). */
export async function actionDetail(
  db: TenantDb,
  runId: string,
  index: number,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('automation_runs')
    .select(sql<Record<string, unknown> | null>`outcomes -> ${index}::int -> 'detail'`.as('detail'))
    .where('id', '=', runId)
    .executeTakeFirst();
  return row?.detail ?? undefined;
}

/** Another delivery of the job already recorded what this action did. */
export class ActionAlreadyRecorded extends Error {
  constructor() {
    super('The action already recorded its outcome');
    this.name = 'ActionAlreadyRecorded';
  }
}

/**
 * Merges `detail` into an action's outcome unless it already holds `key`: called in the
 * transaction that carries the action out, so the action happens once per run and index
 * (throws ActionAlreadyRecorded, rolling that transaction back, when it already did).
 */
export async function recordActionDetailOnce(
  trx: TenantDb,
  runId: string,
  index: number,
  key: string,
  detail: Record<string, unknown>,
): Promise<void> {
  const result = await trx
    .updateTable('automation_runs')
    .set({
      outcomes: sql<string>`jsonb_set(outcomes, array[${String(index)}::text, 'detail'],
        coalesce(outcomes -> ${index}::int -> 'detail', '{}'::jsonb) || ${JSON.stringify(detail)}::jsonb)`,
      updated_at: new Date(),
    })
    .where('id', '=', runId)
    .where(sql<boolean>`outcomes -> ${index}::int -> 'detail' ->> ${key} is null`)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new ActionAlreadyRecorded();
}
