import { assertAgentsExist, findAgents, type Agent } from '../agents/index.js';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { AppServices } from '../app/services.js';
import { AppError, fieldIssues, type FieldIssue } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { lastLeadNumber, type LeadFilter } from '../leads/index.js';
import { jobRequest } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import {
  assignmentRef,
  findActiveAssignment,
  insertAssignment,
  toCohortAssignment,
} from './cohort-assignment.repository.js';
import { findCohort } from './cohort.repository.js';
import {
  cohortFilterSchema,
  type Cohort,
  type CohortAssignment,
  type StartAssignmentInput,
} from './cohort.schemas.js';
import type { CapacityBasis, PlannedAgent } from './cohorts.tables.js';

export const assignCohortJobKind = 'cohorts.assign' as const;
export const cohortAssignmentProgressEvent = 'cohort_assignment.progress';

/** The cohort's stored filter, read as the leads list reads it; a 409 when it no longer parses. */
export function cohortFilterOf(cohort: Pick<Cohort, 'filter'>): LeadFilter {
  const parsed = cohortFilterSchema.safeParse(cohort.filter);
  if (parsed.success) return parsed.data;
  throw new AppError('conflict', "The cohort's filter is no longer valid: update it first", {
    details: fieldIssues('filter', parsed.error),
  });
}

/** Each chosen agent with its capacity on the basis asked for (or the default one). */
function planOf(
  agents: Agent[],
  asked: CapacityBasis | undefined,
): { basis: CapacityBasis; planned: PlannedAgent[] } {
  const issues: FieldIssue[] = [];
  agents.forEach((agent, i) => {
    if (!agent.active)
      issues.push({ path: `body.agentIds.${i}`, message: `Agent ${agent.id} is not active` });
  });
  const basis = asked ?? (agents.every((agent) => agent.dailyLimit > 0) ? 'dailyLimit' : 'weight');
  if (basis === 'dailyLimit') {
    for (const agent of agents.filter((one) => one.dailyLimit === 0)) {
      issues.push({
        path: 'body.capacity',
        message: `Agent ${agent.id} has no daily limit: give it one, or share by weight (capacity: "weight")`,
      });
    }
  }
  if (issues.length > 0) throw AppError.invalidFields(issues);
  return {
    basis,
    planned: agents.map((agent) => ({
      agentId: agent.id,
      name: agent.name,
      capacity: basis === 'dailyLimit' ? agent.dailyLimit : agent.weight,
    })),
  };
}

/**
 * Starts distributing a cohort's leads across agents in proportion to their capacity: the
 * distribution (with the filter, the agents' capacities and the newest lead reference as they
 * are now) and its `cohorts.assign` job are one unit of work. One distribution per cohort at a time.
 */
export async function startCohortAssignment(
  services: AppServices,
  handle: TenantHandle,
  actor: Actor,
  cohortId: string,
  input: StartAssignmentInput,
): Promise<CohortAssignment> {
  const cohort = orNotFound(await findCohort(handle.db, cohortId), 'Cohort');
  const filter = cohortFilterOf(cohort);
  const agentIds = [...new Set(input.agentIds)];
  await assertAgentsExist(handle.db, agentIds, 'body.agentIds');
  const { basis, planned } = planOf(await findAgents(handle, agentIds), input.capacity);
  if (input.onlyUnassigned && filter.agentId && filter.agentId !== 'unassigned') {
    throw AppError.invalidFields([
      {
        path: 'body.onlyUnassigned',
        message: `The cohort selects the leads of agent ${filter.agentId}, none of them unassigned: send onlyUnassigned: false to move them`,
      },
    ]);
  }
  const running = await findActiveAssignment(handle.db, cohort.id);
  if (running) {
    const ref = assignmentRef(running.number);
    throw new AppError('conflict', `${ref} is still distributing this cohort`, {
      details: { assignmentId: running.id, ref },
    });
  }

  const row = await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    const inserted = await insertAssignment(trx, {
      cohort_id: cohort.id,
      cohort_name: cohort.name,
      filter: JSON.stringify(cohort.filter),
      agents: JSON.stringify(planned),
      capacity_basis: basis,
      only_unassigned: input.onlyUnassigned,
      max_leads: input.limit ?? null,
      until_number: await lastLeadNumber(trx),
      ...actorColumns(actor),
    });
    await enqueue(
      jobRequest(
        handle.tenant.id,
        assignCohortJobKind,
        { assignmentId: inserted.id },
        { idempotencyKey: `cohort-assignment:${inserted.id}` },
      ),
    );
    return inserted;
  });
  const assignment = toCohortAssignment(row);
  services.realtime.emitToTenant(handle.tenant.id, cohortAssignmentProgressEvent, assignment);
  return assignment;
}
