import { sql } from 'kysely';
import { assertAgentsExist } from '../agents/index.js';
import type { Updateable } from 'kysely';
import { activityColumns, activityRows, recordActivity, type ActivityEntry } from '../activity/index.js';
import { AppError } from '../http/app-error.js';
import { scoreLead } from '../scoring/index.js';
import { loadScoringSettings, type ScoringSettings } from '../scoring/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { announceFollowUps, followUpChangesOf } from './follow-up-changed.js';
import { announceDoNotCall } from './do-not-call-changed.js';
import { systemActor } from '../auth/actors.js';
import { inLeadTransaction, type LeadContext } from './lead-context.js';
import type { LeadEvent } from './lead-events.js';
import { toLeadColumns } from './lead-fields.js';
import { toLead, type LeadRow } from './lead.mapper.js';
import { leadSelection } from './lead.repository.js';
import { requireLeadToChange } from './require-lead-row.js';
import type { Access } from '../auth/access.js';
import { terminalStatuses, type Lead, type PatchLeadInput } from './lead.schemas.js';
import type { LeadsTable } from './leads.tables.js';

export interface TagChange {
  add?: string[];
  remove?: string[];
}

const apiName: Record<string, string> = {
  first_name: 'firstName',
  last_name: 'lastName',
  follow_up_at: 'followUpAt',
  custom_fields: 'customFields',
  assigned_agent_id: 'assignedAgentId',
  do_not_call: 'doNotCall',
};

const comparable = (value: unknown) =>
  value instanceof Date
    ? value.toISOString()
    : typeof value === 'string' && value.startsWith('{')
      ? value
      : JSON.stringify(value ?? null);

/**
 * Applies a change to one lead in one transaction: every changed field goes to the
 * activity log (who, old → new), the score is recomputed, won/lost stay terminal unless
 * `reopen` is set, and the lifecycle events are published after commit.
 */
export async function changeLead(
  ctx: LeadContext,
  idOrRef: string,
  patch: Omit<PatchLeadInput, never>,
  tagChange: TagChange = {},
): Promise<Lead> {
  const scoring = await loadScoringSettings(ctx.handle);
  const { lead } = await inLeadTransaction(ctx, (trx) =>
    changeLeadWithin(trx, ctx, idOrRef, patch, tagChange, scoring),
  );
  return lead;
}

/**
 * `changeLead` inside the caller's transaction (the automations engine applies its actions
 * in the same transaction as its event record). The caller publishes `events` after its commit.
 */
export async function changeLeadWithin(
  trx: TenantDb,
  ctx: LeadContext,
  idOrRef: string,
  patch: Omit<PatchLeadInput, never>,
  tagChange: TagChange,
  scoring: ScoringSettings,
): Promise<{ lead: Lead; events: LeadEvent[] }> {
  if (patch.assignedAgentId) await assertAgentsExist(trx, patch.assignedAgentId, 'body.assignedAgentId');
  const before = await requireLeadToChange(trx, ctx.access, idOrRef, { forUpdate: true });
  const plan = planLeadChange(ctx, before, patch, tagChange, scoring);
  const after = plan ? await writeLeadChange(trx, before.id, plan) : before;
  return changedLead(ctx, before, after, scoring);
}

/** What a change writes to one lead: its new column values and the activity entries logging them. */
export interface LeadChangePlan {
  set: Updateable<LeadsTable>;
  activity: ActivityEntry[];
}

/**
 * The change of `patch` and `tagChange` to the lead as it is now (`before`, read locked), without
 * writing it: the changed columns with the recomputed score, and an activity entry per changed
 * field (who, old → new); null when nothing changes. Refuses a won/lost lead's status change
 * without `reopen`, a status change of a lead in a pipeline (409: its stage sets its status; only
 * a stage move plans one, `byStage`), and a new owner the caller's `leads.assign` does not reach.
 */
export function planLeadChange(
  ctx: LeadContext,
  before: LeadRow,
  patch: Omit<PatchLeadInput, never>,
  tagChange: TagChange,
  scoring: ScoringSettings,
  options: { byStage?: boolean } = {},
): LeadChangePlan | null {
  const { handle, actor } = ctx;
  const columns: Updateable<LeadsTable> = toLeadColumns(patch, handle.tenant.defaultCountry);
  if (tagChange.add || tagChange.remove) {
    const removed = new Set(tagChange.remove ?? []);
    columns.tags = [...new Set([...before.tags, ...(tagChange.add ?? [])])].filter(
      (tag) => !removed.has(tag),
    );
  }
  if (patch.status && patch.status !== before.status) {
    // In a pipeline the stage is the source of truth: the status follows it (ARCHITECTURE.md "Sales pipeline").
    if (before.stage_id && !options.byStage) {
      throw new AppError(
        'invalid_status_transition',
        'The lead is in a pipeline: its stage sets its status',
        {
          details: {
            from: before.status,
            to: patch.status,
            stageId: before.stage_id,
            hint: 'move the lead to a stage: POST /api/crm/leads/{id}/stage',
          },
        },
      );
    }
    if (terminalStatuses.includes(before.status) && !patch.reopen) {
      throw new AppError('invalid_status_transition', `A ${before.status} lead must be reopened explicitly`, {
        details: { from: before.status, to: patch.status, hint: 'send "reopen": true' },
      });
    }
    columns.status = patch.status;
  }
  if (patch.assignedAgentId !== undefined && patch.assignedAgentId !== before.assigned_agent_id) {
    requireAssignable(ctx.access, before.assigned_agent_id, patch.assignedAgentId);
    columns.assigned_agent_id = patch.assignedAgentId;
    columns.assigned_at = patch.assignedAgentId ? new Date() : null;
    columns.unassigned_reason = patch.assignedAgentId ? null : 'unassigned_manually';
  }

  const changes = Object.entries(columns)
    .filter(([field]) => field !== 'assigned_at' && field !== 'unassigned_reason')
    .filter(([field, value]) => comparable(value) !== comparable(before[field as keyof LeadRow]))
    .map(([field, value]) => ({ field, from: before[field as keyof LeadRow], to: value }));
  // A score set by hand stays until `score: null` clears it; then the weights decide again.
  const scoreManual = patch.score === undefined ? before.score_manual : patch.score !== null;
  const merged = { ...before, ...columns } as LeadRow;
  const score =
    patch.score !== undefined && patch.score !== null
      ? patch.score
      : scoreManual
        ? before.score
        : scoreLead(merged, scoring);
  if (changes.length === 0 && score === before.score && scoreManual === before.score_manual) return null;

  const activity: ActivityEntry[] = changes.map(({ field, from, to }) => ({
    leadId: before.id,
    kind: 'field_changed',
    actor,
    data: {
      field: apiName[field] ?? field,
      from,
      to: field === 'custom_fields' ? JSON.parse(to as string) : to,
    },
  }));
  if (score !== before.score || scoreManual !== before.score_manual) {
    activity.push({
      leadId: before.id,
      kind: 'field_changed',
      actor,
      data: {
        field: 'score',
        from: before.score,
        to: score,
        ...(patch.score !== undefined ? { manual: scoreManual } : {}),
      },
    });
  }
  return { set: { ...columns, score, score_manual: scoreManual }, activity };
}

/**
 * Writes a planned change and its activity entries in one statement (which sets `last_activity_at`
 * itself); a changed follow-up date is announced (`leads.follow_up_changed`).
 */
export async function writeLeadChange(trx: TenantDb, leadId: string, plan: LeadChangePlan): Promise<LeadRow> {
  const after = await trx
    .with('logged', (qb) =>
      qb
        .insertInto('lead_activities')
        .columns([...activityColumns])
        .expression(activityRows(plan.activity)),
    )
    .updateTable('leads')
    .set({ ...plan.set, updated_at: new Date(), last_activity_at: sql<Date>`now()` })
    .where('id', '=', leadId)
    .returning(leadSelection)
    .executeTakeFirstOrThrow();
  const actor = followUpChangesOf(plan.activity).get(leadId);
  if (actor) {
    await announceFollowUps(trx, {
      actor,
      entries: [{ leadId, followUpAt: after.follow_up_at, ownerAgentId: after.assigned_agent_id }],
    });
  }
  // The do-not-call list follows the flag (set: the number is listed; cleared: taken off).
  if (plan.set.do_not_call !== undefined || (plan.set.phone !== undefined && after.do_not_call)) {
    await announceDoNotCall(trx, {
      actor: plan.activity[0]?.actor ?? systemActor('lead change'),
      entries: [{ leadId, phone: after.phone, doNotCall: after.do_not_call }],
    });
  }
  return after;
}

/** The lead after a change and the lifecycle events it implies (none when nothing changed). */
export function changedLead(
  ctx: LeadContext,
  before: LeadRow,
  after: LeadRow,
  scoring: ScoringSettings,
): { lead: Lead; events: LeadEvent[] } {
  const lead = toLead(after, scoring.hotThreshold);
  const events = after === before ? [] : lifecycleEvents(before, after);
  return {
    lead,
    events: events.map((event) => ({ ...event, tenantId: ctx.handle.tenant.id, lead }) as LeadEvent),
  };
}

/**
 * Refuses (403) a change of owner that the caller's `leads.assign` does not reach at both ends:
 * the lead's current agent and the new one. Below scope `all` both must be agents of the
 * caller's scope (a manager assigns among their teams' agents); unassigned (null) is reached by
 * `all` only, so only they take a lead from, or give it back to, the unassigned pool. Deals, owned
 * by agents too, use it with `unowned` naming their own null owner.
 */
export function requireAssignable(
  access: Access,
  from: string | null,
  to: string | null,
  unowned = 'unassigned leads',
): void {
  for (const agentId of [from, to]) {
    if (!access.reaches('leads.assign', agentId)) {
      throw new AppError(
        'forbidden',
        access.can('leads.assign')
          ? `Your role's 'leads.assign' permission does not reach ${agentId === null ? unowned : `agent ${agentId}`}`
          : "Your role lacks the 'leads.assign' permission",
        { details: { permission: 'leads.assign', agentId } },
      );
    }
  }
}

function lifecycleEvents(before: LeadRow, after: LeadRow): Omit<LeadEvent, 'lead' | 'tenantId'>[] {
  const events: Omit<LeadEvent, 'lead' | 'tenantId'>[] = [{ name: 'lead.updated' }];
  if (before.status !== after.status) {
    events.push({ name: 'lead.status_changed', data: { from: before.status, to: after.status } });
  }
  const added = after.tags.filter((tag) => !before.tags.includes(tag));
  const removed = before.tags.filter((tag) => !after.tags.includes(tag));
  if (added.length) events.push({ name: 'lead.tags_added', data: { tags: added } });
  if (removed.length) events.push({ name: 'lead.tags_removed', data: { tags: removed } });
  if (before.assigned_agent_id !== after.assigned_agent_id) {
    events.push({ name: after.assigned_agent_id ? 'lead.assigned' : 'lead.unassigned' });
  }
  return events;
}

/** Soft delete: the lead leaves lists and frees its phone, its history stays. */
export async function archiveLead(ctx: LeadContext, idOrRef: string): Promise<Lead> {
  const { handle, actor } = ctx;
  const scoring = await loadScoringSettings(handle);
  return inTenantTransaction({ leadEvents: ctx.events }, handle, async ({ trx, publish }) => {
    const before = await requireLeadToChange(trx, ctx.access, idOrRef, { forUpdate: true });
    let row = before;
    if (!before.archived_at) {
      await recordActivity(trx, [{ leadId: before.id, kind: 'archived', actor }]);
      row = await trx
        .updateTable('leads')
        .set({ archived_at: new Date(), updated_at: new Date(), last_activity_at: sql<Date>`now()` })
        .where('id', '=', before.id)
        .returning(leadSelection)
        .executeTakeFirstOrThrow();
    }
    const lead = toLead(row, scoring.hotThreshold);
    publish({ name: 'lead.updated', tenantId: handle.tenant.id, lead });
    return lead;
  });
}

export async function deleteLead(ctx: LeadContext, idOrRef: string): Promise<{ id: string; deleted: true }> {
  const row = await requireLeadToChange(ctx.handle.db, ctx.access, idOrRef);
  await ctx.handle.db.deleteFrom('leads').where('id', '=', row.id).execute();
  return { id: row.id, deleted: true };
}
