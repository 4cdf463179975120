import { sql } from 'kysely';
import { Access } from '../../auth/access.js';
import { systemActor } from '../../auth/actors.js';
import type { AppServices } from '../../app/services.js';
import type { Rule as AssignmentRule } from '../../assignment/index.js';
import { mapPostgresError } from '../../db/postgres-errors.js';
import { AppError } from '../../http/app-error.js';
import type { LeadEvent } from '../../leads/index.js';
import type { Lead } from '../../leads/index.js';
import { jobRequest, type JobKind, type JobPayloads } from '../../queue/job-types.js';
import type { ScoringSettings } from '../../scoring/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { ActionFailure } from '../actions/action-failure.js';
import { conditionsHold } from '../rules/conditions.js';
import {
  actionJobKinds,
  externalJobPayload,
  type ExternalAction,
  type ExternalJobPayload,
} from '../actions/external-actions.js';
import type { HeldLeadWrites } from './held-lead-writes.js';
import { applyInternalAction, type InternalAction } from './internal-actions.js';
import { insertRuns, newRun, saveRun, type NewRun } from '../runs/run.repository.js';
import type { ActionOutcome, CascadeCut, RunState } from '../runs/run.types.js';
import { internalActionTypes, type Action, type AutomationRule } from '../rules/rule.schemas.js';
import { MissingVariablesError, type TemplateScope } from './template-text.js';
import type { TenantUnitOfWork } from '../../tenancy/unit-of-work.js';

/**
 * Lead events of the engine's own transactions, which the outbox trigger does not capture (they
 * are cascaded inline): publishing them gives the outbox nothing to drain (`drainOnLeadEvents`).
 */
export const handledInline = new WeakSet<LeadEvent>();

/** Cascades deeper than this are cut (a rule that re-fires its own trigger would loop forever). */
export const maxCascadeDepth = 5;

export const resumeRunJobKind = 'automation.resume_run' as const satisfies JobKind;
export type ResumeRunPayload = JobPayloads['automation.resume_run'];

export interface SessionDeps {
  /** Only the lead-event bus, for the lead context of internal actions. */
  services: Pick<AppServices, 'leadEvents'>;
  handle: TenantHandle;
  /** The one unit of work of the event: event record, runs, lead changes, jobs and lead events. */
  unit: TenantUnitOfWork<LeadEvent>;
  scoring: ScoringSettings;
  assignmentRules: AssignmentRule[];
  /** The tenant's active automation rules. */
  rules: AutomationRule[];
  /**
   * Each internal action in a savepoint (the default). Without (`false`, the API's event
   * intake), an action that can only fail before it writes runs bare: its failure is recorded
   * with nothing to undo. A database error then aborts the transaction, and the caller runs
   * the event again guarded (`EventIntake`).
   */
  guarded?: boolean;
  /** A batch's held lead writes (`runEventBatch`): lead changes wait for the batch's end. */
  held?: HeldLeadWrites;
}

export interface SessionEvent {
  id: string;
  phone: string | null;
  leadId?: string | null;
}

export interface QueuedJob {
  id: string;
  kind: string;
  runId: string;
  actionIndex: number;
  runAt: string;
}

/** The meeting of the run's latest `create_meet_link`, once its job stored it. */
export function meetingOf(run: RunState): Record<string, unknown> | null {
  const outcome = run.outcomes.findLast(
    (candidate) => candidate.type === 'create_meet_link' && candidate.detail?.link !== undefined,
  );
  if (!outcome) return null;
  const { link, meetingId, start, end } = outcome.detail!;
  return { link, id: meetingId, start, end };
}

/** How the lead events of a change map to triggers (and their variables). */
function triggersOf(event: LeadEvent): { trigger: string; variables: Record<string, unknown> }[] {
  const data = event.data ?? {};
  switch (event.name) {
    case 'lead.created':
      return [{ trigger: 'lead_created', variables: {} }];
    case 'lead.assigned':
      return [{ trigger: 'lead_assigned', variables: { agentId: event.lead.assignedAgentId } }];
    case 'lead.status_changed': {
      const fired = [{ trigger: 'lead_status_changed', variables: { from: data.from, to: data.to } }];
      if (data.to === 'won' || data.to === 'lost')
        fired.push({ trigger: `deal_${data.to}`, variables: { ...fired[0]!.variables } });
      return fired;
    }
    case 'lead.tags_added':
      return (data.tags as string[]).map((tag) => ({ trigger: 'tag_added', variables: { tag } }));
    case 'lead.tags_removed':
      return (data.tags as string[]).map((tag) => ({ trigger: 'tag_removed', variables: { tag } }));
    default:
      return [];
  }
}

function failureOf(error: unknown): ActionOutcome['error'] | undefined {
  if (error instanceof ActionFailure)
    return { code: error.code, message: error.message, details: error.details };
  if (error instanceof MissingVariablesError) {
    return { code: error.code, message: error.message, details: { missing: error.missing } };
  }
  const mapped = mapPostgresError(error);
  if (mapped instanceof AppError && mapped.status < 500) {
    return { code: mapped.code, message: mapped.message, details: mapped.details };
  }
  return undefined;
}

/**
 * Whether an internal action's own failures (not a database error) all come before its first
 * write, so that it needs no savepoint to be undone. Assignment by the rules may record an
 * unassigned lead before it fails with `no_agent_available`.
 */
function failsOnlyBeforeWriting(action: InternalAction): boolean {
  return action.type !== 'assign' || action.agentId !== undefined;
}

/**
 * A database error inside an action run without its savepoint, which a guarded run records as
 * that action's failure: the transaction is aborted, so the event must run again guarded.
 */
export class SavepointNeeded extends Error {
  constructor(cause: unknown) {
    super('An internal action failed without its savepoint', { cause });
    this.name = 'SavepointNeeded';
  }
}

/** A failure raised by our code (the transaction is intact), not by the database. */
function isOwnFailure(error: unknown): boolean {
  return (
    error instanceof ActionFailure ||
    error instanceof MissingVariablesError ||
    (error instanceof AppError && error.cause === undefined)
  );
}

/**
 * Runs the rules of one event inside its transaction: matching rules in order, each rule's
 * actions in order. Internal actions change the lead at once (each in a savepoint, so a
 * failed action is recorded and undone without undoing the others) and fire the triggers
 * their changes imply, depth-limited. External actions become queue jobs of the same unit
 * of work, which also publishes the lead events after its commit.
 */
export class AutomationSession {
  readonly runs: RunState[] = [];
  readonly jobs: QueuedJob[] = [];
  readonly cut: (CascadeCut & { runId: string | null })[] = [];
  /** Delays count from the event, so one run's delayed actions share their times. */
  private readonly startedAt = Date.now();
  /** Runs this session started, by id: stored when the event is done (`unsavedRuns`). */
  private readonly started = new Map<string, NewRun>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly event: SessionEvent,
    public lead: Lead | null,
  ) {}

  /** Runs the rules of `trigger` (only `onlyRuleId` when given) at cascade `depth`. */
  async fire(
    trigger: string,
    variables: Record<string, unknown>,
    depth: number,
    parent?: RunState,
    onlyRuleId?: string,
  ): Promise<void> {
    const rules = this.deps.rules.filter(
      (rule) => rule.trigger === trigger && (!onlyRuleId || rule.id === onlyRuleId),
    );
    if (rules.length === 0) return;
    if (depth > maxCascadeDepth) {
      const cut = { trigger, depth, variables };
      parent?.cascadeCut.push(cut);
      this.cut.push({ ...cut, runId: parent?.id ?? null });
      return;
    }
    for (const rule of rules) {
      if (!conditionsHold(rule.conditions, this.scope(trigger, variables))) continue;
      const started = newRun({
        eventId: this.event.id,
        ruleId: rule.id,
        ruleName: rule.name,
        trigger,
        depth,
        actions: rule.actions,
        variables,
      });
      const { run } = started;
      this.started.set(run.id, started);
      this.runs.push(run);
      await this.execute(run, rule.actions, 0, (rule.delayMinutes ?? 0) * 60_000, variables);
    }
  }

  /** Fires the triggers implied by lead changes (ingest, or a CRM change) one level deeper. */
  async fireLeadEvents(
    events: LeadEvent[],
    variables: Record<string, unknown>,
    depth: number,
    parent?: RunState,
  ): Promise<string[]> {
    for (const event of events) handledInline.add(event);
    this.deps.unit.publish(...events);
    const fired: string[] = [];
    for (const event of events) {
      for (const { trigger, variables: own } of triggersOf(event)) {
        fired.push(trigger);
        await this.fire(trigger, { ...variables, ...own }, depth, parent);
      }
    }
    return fired;
  }

  /** Continues a run that waited (a `wait` before an internal action, or a delayed rule). */
  async resume(run: RunState, actions: Action[], startIndex: number, variables: Record<string, unknown>) {
    this.runs.push(run);
    run.status = 'running';
    run.outcomes = run.outcomes.slice(0, startIndex);
    await this.execute(run, actions, startIndex, 0, variables);
  }

  private scope(trigger: string, variables: Record<string, unknown>, run?: RunState): TemplateScope {
    return {
      lead: this.lead as Record<string, unknown> | null,
      variables,
      event: { trigger, phone: this.event.phone, id: this.event.id },
      meet: run ? meetingOf(run) : null,
    };
  }

  private async execute(
    run: RunState,
    actions: Action[],
    start: number,
    offsetMs: number,
    variables: Record<string, unknown>,
  ): Promise<void> {
    for (let index = start; index < actions.length; index++) {
      const action = actions[index]!;
      if (action.type === 'wait') {
        offsetMs += action.minutes * 60_000;
        run.outcomes.push({
          index,
          type: action.type,
          status: 'applied',
          detail: { minutes: action.minutes },
        });
      } else if (internalActionTypes.has(action.type)) {
        if (offsetMs > 0) {
          await this.scheduleRest(run, actions, index, offsetMs);
          break;
        }
        run.outcomes.push(await this.internal(run, action as InternalAction, index, variables));
      } else {
        const outcome = await this.external(run, action as ExternalAction, index, offsetMs, variables);
        run.outcomes.push(outcome);
        if (action.type === 'create_meet_link' && outcome.status === 'queued' && index + 1 < actions.length) {
          this.awaitMeeting(run, actions, index + 1);
          break;
        }
      }
    }
    if (run.status === 'running') {
      run.status = run.outcomes.some((outcome) => outcome.status === 'failed') ? 'failed' : 'succeeded';
    }
    // A run this session started is stored with its event's answer (one row, written once).
    if (!this.started.has(run.id)) await saveRun(this.deps.unit.trx, run, this.lead?.id ?? null);
  }

  /** The runs this session started, finished: for the caller to store (`runRows`, `saveStartedRuns`). */
  startedRuns(): NewRun[] {
    return [...this.started.values()];
  }

  /** Stores the runs this session started (a caller that does not store them with its own statement). */
  async saveStartedRuns(): Promise<void> {
    await insertRuns(this.deps.unit.trx, this.startedRuns(), this.lead?.id ?? null);
  }

  private async internal(
    run: RunState,
    action: InternalAction,
    index: number,
    variables: Record<string, unknown>,
  ): Promise<ActionOutcome> {
    const { handle, services, scoring, assignmentRules, held } = this.deps;
    const { trx } = this.deps.unit;
    // An assignment writes the lead itself: what is held goes out first, and the lead is read again after.
    const writesItself = held !== undefined && action.type === 'assign';
    if (writesItself) await held.write(trx);
    const lead = {
      handle,
      actor: systemActor(`automation: ${run.ruleName}`),
      access: Access.tenantWide(),
      events: services.leadEvents,
    };
    const guarded = this.deps.guarded !== false || !failsOnlyBeforeWriting(action);
    if (guarded) await sql`savepoint automation_action`.execute(trx);
    let result: Awaited<ReturnType<typeof applyInternalAction>>;
    try {
      result = await applyInternalAction(
        { trx, lead, scoring, assignmentRules, held: writesItself ? undefined : held },
        action,
        this.lead,
        this.scope(run.trigger, variables, run),
      );
      if (guarded) await sql`release savepoint automation_action`.execute(trx);
    } catch (error) {
      const failure = failureOf(error);
      if (!failure) throw error;
      // Bare, only a failure of our own code left the transaction usable (nothing was written yet).
      if (!guarded && !isOwnFailure(error)) throw new SavepointNeeded(error);
      if (guarded) await sql`rollback to savepoint automation_action`.execute(trx);
      return { index, type: action.type, status: 'failed', error: failure };
    }
    this.lead = result.lead;
    if (writesItself) held.forget(result.lead.id);
    const outcome: ActionOutcome = { index, type: action.type, status: 'applied', detail: result.detail };
    const triggered = await this.fireLeadEvents(result.events, variables, run.depth + 1, run);
    if (triggered.length > 0) outcome.triggered = triggered;
    return outcome;
  }

  private async external(
    run: RunState,
    action: ExternalAction,
    index: number,
    offsetMs: number,
    variables: Record<string, unknown>,
  ): Promise<ActionOutcome> {
    let payload: ExternalJobPayload;
    try {
      payload = await externalJobPayload(action, {
        trx: this.deps.unit.trx,
        timezone: this.deps.handle.tenant.timezone,
        scope: this.scope(run.trigger, variables, run),
        lead: this.lead,
        rule: { id: run.ruleId, name: run.ruleName },
        origin: { runId: run.id, ruleId: run.ruleId, actionIndex: index, leadId: this.lead?.id ?? null },
      });
    } catch (error) {
      const failure = failureOf(error);
      if (!failure) throw error;
      return { index, type: action.type, status: 'failed', error: failure };
    }
    const kind = actionJobKinds[action.type];
    const runAt = new Date(this.startedAt + offsetMs);
    const job = await this.enqueue(kind, payload, runAt, `automation:${run.id}:${index}`);
    run.jobIds.push(job.id);
    this.jobs.push({ id: job.id, kind, runId: run.id, actionIndex: index, runAt: runAt.toISOString() });
    return {
      index,
      type: action.type,
      status: 'queued',
      jobId: job.id,
      jobKind: kind,
      runAt: runAt.toISOString(),
    };
  }

  /** An internal action after a delay: the rest of the run continues in a job at that time. */
  private async scheduleRest(run: RunState, actions: Action[], index: number, offsetMs: number) {
    const runAt = new Date(this.startedAt + offsetMs);
    const payload: ResumeRunPayload = { runId: run.id, startIndex: index };
    const job = await this.enqueue(resumeRunJobKind, payload, runAt, `automation:${run.id}:resume:${index}`);
    run.jobIds.push(job.id);
    this.jobs.push({
      id: job.id,
      kind: resumeRunJobKind,
      runId: run.id,
      actionIndex: index,
      runAt: runAt.toISOString(),
    });
    for (let rest = index; rest < actions.length; rest++) {
      run.outcomes.push({
        index: rest,
        type: actions[rest]!.type,
        status: 'scheduled',
        ...(rest === index ? { jobId: job.id, jobKind: resumeRunJobKind, runAt: runAt.toISOString() } : {}),
      });
    }
    run.status = 'waiting';
  }

  /**
   * The actions after a `create_meet_link` wait for its meeting, so they can use its link
   * (`{{meet.link}}`): they stay `scheduled` without a job, and the meet job, once the
   * meeting is ready, stores it on its outcome and queues the run's resumption at `index`
   * (meet-action.job.ts). Chaining is simpler than rendering later payloads lazily: each
   * action is still rendered once, when it is carried out, with everything it may read.
   */
  private awaitMeeting(run: RunState, actions: Action[], index: number) {
    for (let rest = index; rest < actions.length; rest++) {
      run.outcomes.push({
        index: rest,
        type: actions[rest]!.type,
        status: 'scheduled',
        ...(rest === index ? { detail: { awaiting: 'create_meet_link' } } : {}),
      });
    }
    run.status = 'waiting';
  }

  /** Enqueues in the event's unit of work, so the job exists exactly when the run does. */
  private async enqueue<K extends JobKind>(
    kind: K,
    payload: JobPayloads[K],
    runAt: Date,
    idempotencyKey: string,
  ) {
    const tenantId = this.deps.handle.tenant.id;
    const [job] = await this.deps.unit.enqueue(
      jobRequest(tenantId, kind, payload, { runAt, idempotencyKey }),
    );
    return job!;
  }
}
