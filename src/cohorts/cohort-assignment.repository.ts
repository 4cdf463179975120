import { sql, type Insertable, type Selectable } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import { leadIdVisibleTo, leadRef } from '../leads/index.js';
import type {
  CohortAssignment,
  LeadOutcomeItem,
  ListAssignmentsQuery,
  ListOutcomesQuery,
} from './cohort.schemas.js';
import type {
  CohortAssignmentsTable,
  CohortAssignmentStatus,
  LeadOutcome,
  PlannedAgent,
} from './cohorts.tables.js';

export type AssignmentRow = Selectable<CohortAssignmentsTable>;

export const assignmentRef = (number: number) => `CAJ-${number}`;

export function toCohortAssignment(row: AssignmentRow): CohortAssignment {
  const total = row.agents.reduce((sum, agent) => sum + agent.capacity, 0);
  return {
    id: row.id,
    ref: assignmentRef(row.number),
    cohortId: row.cohort_id,
    cohortName: row.cohort_name,
    status: row.status,
    onlyUnassigned: row.only_unassigned,
    limit: row.max_leads,
    capacity: row.capacity_basis,
    agents: row.agents.map((agent) => ({ ...agent, share: total > 0 ? agent.capacity / total : 0 })),
    processed: row.processed,
    assigned: row.assigned,
    skipped: row.skipped,
    failed: row.failed,
    failure: row.failure,
    createdBy: row.actor,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

export async function insertAssignment(
  db: TenantDb,
  values: Insertable<CohortAssignmentsTable>,
): Promise<AssignmentRow> {
  return db.insertInto('cohort_assignments').values(values).returningAll().executeTakeFirstOrThrow();
}

/** A distribution by uuid or by human id (`CAJ-1`). */
export async function findAssignmentRow(db: TenantDb, idOrRef: string): Promise<AssignmentRow | undefined> {
  const ref = /^CAJ-(\d+)$/i.exec(idOrRef);
  const query = db.selectFrom('cohort_assignments').selectAll();
  return (
    ref ? query.where('number', '=', Number(ref[1])) : query.where('id', '=', idOrRef)
  ).executeTakeFirst();
}

/** The cohort's distribution that is queued or running, if any. */
export async function findActiveAssignment(
  db: TenantDb,
  cohortId: string,
): Promise<AssignmentRow | undefined> {
  return db
    .selectFrom('cohort_assignments')
    .selectAll()
    .where('cohort_id', '=', cohortId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
}

const assignmentsKeyset: Keyset = {
  list: 'cohortAssignments',
  // The per-tenant human number (CAJ-n) is unique.
  columns: [['number', 'bigint']],
  direction: 'desc',
};

/** A cohort's distributions, newest first. */
export async function listAssignments(
  db: TenantDb,
  cohortId: string,
  page: ListAssignmentsQuery,
): Promise<Page<CohortAssignment>> {
  const query = db.selectFrom('cohort_assignments').selectAll().where('cohort_id', '=', cohortId);
  return pageOf(query, assignmentsKeyset, page, toCohortAssignment);
}

/** Marks an unfinished distribution running (a retry keeps its first start); undefined when finished. */
export async function startAssignmentRun(db: TenantDb, id: string): Promise<AssignmentRow | undefined> {
  return db
    .updateTable('cohort_assignments')
    .set((eb) => ({
      status: 'running',
      started_at: eb.fn.coalesce('started_at', eb.val(new Date())),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

/** Ends an unfinished distribution; undefined when it was already final. */
export async function finishAssignment(
  db: TenantDb,
  id: string,
  status: Extract<CohortAssignmentStatus, 'completed' | 'failed'>,
  failure: string | null,
): Promise<AssignmentRow | undefined> {
  return db
    .updateTable('cohort_assignments')
    .set({ status, failure, completed_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

/**
 * The distribution's state for one lead's transaction, its row locked: the lead outcomes of a
 * distribution are written one at a time, in order, even if two runs of its job overlap.
 */
export async function lockAssignment(trx: TenantDb, id: string) {
  return trx
    .selectFrom('cohort_assignments')
    .select(['status', 'assigned'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function hasOutcome(trx: TenantDb, id: string, leadId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('cohort_assignment_leads')
    .select('lead_id')
    .where('assignment_id', '=', id)
    .where('lead_id', '=', leadId)
    .executeTakeFirst();
  return row !== undefined;
}

export interface OutcomeRecord {
  leadId: string;
  leadNumber: number;
  outcome: LeadOutcome;
  agentId: string | null;
  reason: string | null;
}

/** Stores one lead's outcome and moves the distribution's counts and walk position with it. */
export async function recordOutcome(trx: TenantDb, id: string, record: OutcomeRecord): Promise<void> {
  const { processed } = await trx
    .updateTable('cohort_assignments')
    .set((eb) => ({
      processed: eb('processed', '+', 1),
      assigned: eb('assigned', '+', record.outcome === 'assigned' ? 1 : 0),
      skipped: eb('skipped', '+', record.outcome === 'skipped' ? 1 : 0),
      failed: eb('failed', '+', record.outcome === 'failed' ? 1 : 0),
      last_number: sql<number>`greatest(last_number, ${record.leadNumber})`,
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .returning('processed')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('cohort_assignment_leads')
    .values({
      assignment_id: id,
      lead_id: record.leadId,
      position: processed,
      lead_number: record.leadNumber,
      outcome: record.outcome,
      agent_id: record.agentId,
      reason: record.reason,
    })
    .execute();
}

/** Leads assigned per agent of the plan, and skips and failures counted by reason. */
export async function assignmentReport(db: TenantDb, row: AssignmentRow) {
  const rows = await db
    .selectFrom('cohort_assignment_leads')
    .select((eb) => ['outcome', 'agent_id', 'reason', eb.fn.countAll<number>().as('leads')])
    .where('assignment_id', '=', row.id)
    .groupBy(['outcome', 'agent_id', 'reason'])
    .execute();
  const assigned = new Map<string, number>();
  const skippedByReason: Record<string, number> = {};
  const failedByReason: Record<string, number> = {};
  for (const { outcome, agent_id, reason, leads } of rows) {
    const n = Number(leads);
    if (outcome === 'assigned' && agent_id) assigned.set(agent_id, (assigned.get(agent_id) ?? 0) + n);
    const byReason = outcome === 'skipped' ? skippedByReason : outcome === 'failed' ? failedByReason : null;
    if (byReason) byReason[reason ?? 'unknown'] = (byReason[reason ?? 'unknown'] ?? 0) + n;
  }
  return {
    byAgent: row.agents.map((agent: PlannedAgent) => ({
      agentId: agent.agentId,
      name: agent.name,
      assigned: assigned.get(agent.agentId) ?? 0,
    })),
    skippedByReason,
    failedByReason,
  };
}

const outcomesKeyset: Keyset = {
  list: 'cohortAssignmentLeads',
  // Unique within a distribution (the list is always of one).
  columns: [['position', 'int']],
  direction: 'asc',
};

/** The distribution's outcomes for the leads `visibility` reaches, in the order it handled them. */
export async function listOutcomes(
  db: TenantDb,
  visibility: Visibility,
  id: string,
  page: ListOutcomesQuery,
): Promise<Page<LeadOutcomeItem>> {
  let query = db
    .selectFrom('cohort_assignment_leads')
    .selectAll()
    .where('assignment_id', '=', id)
    .where(leadIdVisibleTo(visibility, 'cohort_assignment_leads.lead_id'));
  if (page.outcome) query = query.where('outcome', '=', page.outcome);
  return pageOf(query, outcomesKeyset, page, (row) => ({
    position: row.position,
    leadId: row.lead_id,
    leadRef: row.lead_number === null ? null : leadRef(row.lead_number),
    outcome: row.outcome,
    agentId: row.agent_id,
    reason: row.reason,
    at: row.created_at,
  }));
}
