import { claimAgentSlot } from '../assignment/index.js';
import { Access, everyLead } from '../auth/access.js';
import { actorFromColumns } from '../auth/actors.js';
import type { AppServices } from '../app/services.js';
import {
  changeLeadWithin,
  findLeadRow,
  matchingLeadRefs,
  type LeadContext,
  type LeadFilter,
} from '../leads/index.js';
import type { DeadJobContext, JobContext, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { loadScoringSettings, type ScoringSettings } from '../scoring/index.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import {
  findAssignmentRow,
  finishAssignment,
  hasOutcome,
  lockAssignment,
  recordOutcome,
  startAssignmentRun,
  toCohortAssignment,
  type AssignmentRow,
  type OutcomeRecord,
} from './cohort-assignment.repository.js';
import { cohortFilterSchema } from './cohort.schemas.js';
import { agentsForTicket, capacityRotation } from './distribution.js';
import { cohortAssignmentProgressEvent } from './start-assignment.js';

type AssignCohortContext = JobContext<
  JobPayloads['cohorts.assign'],
  Pick<AppServices, 'realtime' | 'leadEvents'>
>;
type DeadAssignCohortContext = DeadJobContext<JobPayloads['cohorts.assign'], Pick<AppServices, 'realtime'>>;

/** Leads read per page of the walk; a progress event follows each page. */
export const assignmentPageSize = 100;

/** Thrown when the distribution was finished by someone else (a dead job's `onDead`) mid-run. */
class DistributionEnded extends Error {}

interface Plan {
  assignmentId: string;
  onlyUnassigned: boolean;
  rotation: string[];
  agentCount: number;
  scoring: ScoringSettings;
}

/**
 * One lead of a distribution, in its own unit of work: the lead is locked, then the
 * distribution's row (its outcomes are written in order); a lead that already has an outcome
 * is left alone (a retried or overlapping run). The agents are tried in rotation order from the
 * distribution's count of leads given so far; the first that takes one more lead today
 * (`claimAgentSlot`: active and below its daily limit, counted as the engine counts) gets it,
 * through the leads' own change (`changeLeadWithin`: activity entry, score, `lead.assigned`
 * after the commit). The outcome and the counts are written in the same transaction.
 */
export async function distributeLead(
  ctx: LeadContext,
  plan: Plan,
  lead: { id: string; number: number },
): Promise<OutcomeRecord | undefined> {
  const { handle } = ctx;
  return inTenantTransaction({ leadEvents: ctx.events }, handle, async ({ trx, publish }) => {
    const row = await findLeadRow(trx, everyLead, lead.id, { forUpdate: true });
    const state = await lockAssignment(trx, plan.assignmentId);
    if (state.status !== 'running') throw new DistributionEnded(`The distribution is ${state.status}`);
    if (await hasOutcome(trx, plan.assignmentId, lead.id)) return undefined;

    const outcome = (
      result: OutcomeRecord['outcome'],
      agentId: string | null,
      reason: string | null,
    ): OutcomeRecord => ({ leadId: lead.id, leadNumber: lead.number, outcome: result, agentId, reason });
    let record: OutcomeRecord;
    if (!row) record = outcome('failed', null, 'lead_not_found');
    else if (row.archived_at) record = outcome('failed', null, 'lead_archived');
    else if (plan.onlyUnassigned && row.assigned_agent_id)
      record = outcome('skipped', row.assigned_agent_id, 'already_assigned');
    else {
      record = outcome('failed', null, null);
      for (const agentId of agentsForTicket(plan.rotation, plan.agentCount, state.assigned)) {
        if (row.assigned_agent_id === agentId) {
          record = outcome('skipped', agentId, 'already_with_agent');
          break;
        }
        const slot = await claimAgentSlot(trx, handle, agentId);
        if (!slot.claimed) {
          // The first refusal names the failure: the planned agent's reason.
          record.reason ??= slot.reason;
          continue;
        }
        const { events } = await changeLeadWithin(
          trx,
          ctx,
          row.id,
          { assignedAgentId: agentId },
          {},
          plan.scoring,
        );
        publish(...events);
        record = outcome('assigned', agentId, null);
        break;
      }
    }
    await recordOutcome(trx, plan.assignmentId, record);
    return record;
  });
}

/**
 * `cohorts.assign`: walks the distribution's filter (the leads list's own, in reference order,
 * up to the newest lead when it was asked for) a page at a time, after the last lead it
 * committed, and gives each lead its outcome (`distributeLead`). A retried run (a crash, a lost
 * lease) continues after the last committed lead and never handles a lead twice. Each page ends
 * with a `cohort_assignment.progress` event, as does the end.
 */
export async function runCohortAssignment(ctx: AssignCohortContext) {
  const { handle, services, job, signal } = ctx;
  const { assignmentId } = job.payload;
  const emit = (row: AssignmentRow | undefined) => {
    if (row) {
      services.realtime.emitToTenant(
        handle.tenant.id,
        cohortAssignmentProgressEvent,
        toCohortAssignment(row),
      );
    }
  };
  const finish = async (status: 'completed' | 'failed', failure: string | null) => {
    const done = await finishAssignment(handle.db, assignmentId, status, failure);
    emit(done);
    return done;
  };

  const started = await startAssignmentRun(handle.db, assignmentId);
  if (!started) {
    const existing = await findAssignmentRow(handle.db, assignmentId);
    if (!existing) throw new PermanentJobError('No such cohort distribution', 'not_found');
    return { status: existing.status };
  }
  emit(started);
  const parsed = cohortFilterSchema.safeParse(started.filter);
  if (!parsed.success) {
    await finish('failed', 'The cohort filter is not valid');
    throw new PermanentJobError('The cohort filter is not valid', 'invalid_filter');
  }
  const filter: LeadFilter = started.only_unassigned
    ? { ...parsed.data, agentId: 'unassigned' }
    : parsed.data;
  const leadCtx: LeadContext = {
    handle,
    actor: actorFromColumns(started.actor, started.actor_type, started.actor_id),
    access: Access.tenantWide(),
    events: services.leadEvents,
    services,
  };
  const plan: Plan = {
    assignmentId,
    onlyUnassigned: started.only_unassigned,
    rotation: capacityRotation(started.agents),
    agentCount: started.agents.length,
    scoring: await loadScoringSettings(handle),
  };

  try {
    // A cohort of one agent's leads has no unassigned ones (refused when asked, kept safe here).
    const none = started.only_unassigned && parsed.data.agentId && parsed.data.agentId !== 'unassigned';
    let after = started.last_number;
    let processed = started.processed;
    while (!none) {
      const room = started.max_leads === null ? assignmentPageSize : started.max_leads - processed;
      if (room <= 0) break;
      const leads = await matchingLeadRefs(handle, everyLead, filter, {
        afterNumber: after,
        untilNumber: started.until_number,
        limit: Math.min(assignmentPageSize, room),
      });
      if (leads.length === 0) break;
      for (const lead of leads) {
        signal.throwIfAborted();
        await distributeLead(leadCtx, plan, lead);
      }
      after = leads.at(-1)!.number;
      const current = await findAssignmentRow(handle.db, assignmentId);
      processed = current?.processed ?? processed;
      emit(current);
    }
  } catch (error) {
    if (error instanceof DistributionEnded) return { status: 'ended elsewhere' };
    // The last attempt leaves the distribution final with the counts it reached; a run killed
    // on its last attempt never gets here, and `failDeadAssignment` finishes it instead.
    if (job.attempt >= job.maxAttempts) await finish('failed', (error as Error).message);
    throw error;
  }
  const done = (await finish('completed', null)) ?? (await findAssignmentRow(handle.db, assignmentId))!;
  return { processed: done.processed, assigned: done.assigned, skipped: done.skipped, failed: done.failed };
}

/**
 * `onDead` of `cohorts.assign`: a distribution whose job died unfinished (its process killed on
 * the last attempt) ends `failed` with the outcomes it committed.
 */
export async function failDeadAssignment(ctx: DeadAssignCohortContext): Promise<void> {
  const done = await finishAssignment(ctx.handle.db, ctx.job.payload.assignmentId, 'failed', ctx.error);
  if (done) {
    ctx.services.realtime.emitToTenant(
      ctx.handle.tenant.id,
      cohortAssignmentProgressEvent,
      toCohortAssignment(done),
    );
  }
}
