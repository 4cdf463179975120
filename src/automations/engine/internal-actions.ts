import { everyLead } from '../../auth/access.js';
import { assignLead } from '../../assignment/index.js';
import type { Rule as AssignmentRule } from '../../assignment/index.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { queueLeadsWithin } from '../../dialer/index.js';
import { changeLeadWithin, planLeadChange, writeLeadChange } from '../../leads/index.js';
import type { LeadChangePlan } from '../../leads/index.js';
import type { HeldLeadWrites } from './held-lead-writes.js';
import type { LeadContext } from '../../leads/index.js';
import type { LeadEvent } from '../../leads/index.js';
import { toLead } from '../../leads/index.js';
import { requireLeadRow } from '../../leads/index.js';
import type { Lead } from '../../leads/index.js';
import type { ScoringSettings } from '../../scoring/index.js';
import { unitOfTransaction } from '../../tenancy/unit-of-work.js';
import { ActionFailure } from '../actions/action-failure.js';
import type { Action } from '../rules/rule.schemas.js';
import { renderTemplate, type TemplateScope } from './template-text.js';
import { tenantInstant } from './tenant-time.js';

export type InternalAction = Extract<
  Action,
  {
    type:
      | 'set_status'
      | 'add_tag'
      | 'remove_tag'
      | 'assign'
      | 'add_note'
      | 'set_follow_up'
      | 'change_score'
      | 'queue_call';
  }
>;

export interface InternalActionDeps {
  trx: TenantDb;
  lead: LeadContext;
  scoring: ScoringSettings;
  assignmentRules: AssignmentRule[];
  /** The batch's held lead writes: changes and notes are held for its end instead of written at once. */
  held?: HeldLeadWrites;
}

export interface InternalActionResult {
  lead: Lead;
  detail: Record<string, unknown>;
  /** Lifecycle events of the change: cascaded to rules, published after commit. */
  events: LeadEvent[];
}

/**
 * Applies one internal action to the event's lead inside the engine's transaction, through
 * the CRM core's own use cases (change-lead, assignment engine), so the activity log,
 * scoring and assignment bookkeeping are the same as for a change made in the CRM.
 */
export async function applyInternalAction(
  deps: InternalActionDeps,
  action: InternalAction,
  current: Lead | null,
  scope: TemplateScope,
): Promise<InternalActionResult> {
  if (!current) throw new ActionFailure('no_lead', 'The event has no lead to act on');
  const { trx, lead: ctx, scoring, held } = deps;
  const change = async (
    patch: Parameters<typeof changeLeadWithin>[3],
    tags: { add?: string[]; remove?: string[] } = {},
  ) => {
    if (!held) return changeLeadWithin(trx, ctx, current.id, patch, tags, scoring);
    const before = await held.current(trx, current.id);
    return held.apply(ctx, before, planLeadChange(ctx, before, patch, tags, scoring), scoring);
  };

  switch (action.type) {
    case 'set_status': {
      const { lead, events } = await change({ status: action.status, reopen: action.reopen });
      return { lead, events, detail: { from: current.status, to: lead.status } };
    }
    case 'add_tag':
    case 'remove_tag': {
      const tags = action.type === 'add_tag' ? { add: [action.tag] } : { remove: [action.tag] };
      const { lead, events } = await change({}, tags);
      return { lead, events, detail: { tag: action.tag, changed: events.length > 0 } };
    }
    case 'assign':
      return action.agentId ? assignTo(deps, current, action.agentId) : assignByRules(deps, current);
    case 'add_note': {
      const body = renderTemplate(action.body, scope);
      if (held)
        return { lead: current, events: [], detail: { noteId: held.note(current.id, body, ctx.actor) } };
      const note = await trx
        .insertInto('lead_notes')
        .values({
          lead_id: current.id,
          body,
          author: ctx.actor.name,
          author_type: ctx.actor.type,
          author_id: ctx.actor.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { lead: current, events: [], detail: { noteId: note.id } };
    }
    case 'set_follow_up': {
      const at =
        action.afterMinutes !== undefined
          ? new Date(Date.now() + action.afterMinutes * 60_000)
          : await followUpAt(deps, renderTemplate(action.at!, scope));
      const { lead, events } = await change({ followUpAt: at });
      return { lead, events, detail: { followUpAt: at.toISOString() } };
    }
    case 'change_score':
      return changeScore(deps, current, action.by);
    case 'queue_call':
      return queueCall(deps, current, action);
  }
}

/**
 * Puts the lead in the call queue in the engine's unit of work (the dialer's tick job is enqueued
 * with it). A lead already waiting or on the do-not-call list is not a failure: the detail says
 * why nothing was queued. In a batch (`HeldLeadWrites`) the lead is already a row of the
 * transaction (the batch ingests its leads first; held writes touch neither phone nor do-not-call).
 */
async function queueCall(
  deps: InternalActionDeps,
  current: Lead,
  action: Extract<InternalAction, { type: 'queue_call' }>,
): Promise<InternalActionResult> {
  const open = unitOfTransaction(deps.trx);
  if (!open) throw new Error('queue_call runs inside a unit of work');
  const { queued, skipped } = await queueLeadsWithin(open.unit, open.handle, {
    leadIds: [current.id],
    priority: action.priority,
    campaign: action.campaign,
    actor: deps.lead.actor,
    visibility: everyLead,
    now: new Date(),
  });
  const entry = queued[0];
  const detail = entry
    ? { queued: true, entryId: entry.id, priority: entry.priority, campaign: entry.campaign }
    : { queued: false, reason: skipped[0]?.reason ?? 'not_found' };
  return { lead: current, events: [], detail };
}

async function followUpAt(deps: InternalActionDeps, text: string): Promise<Date> {
  const at = await tenantInstant(deps.trx, text, deps.lead.handle.tenant.timezone);
  if (!at) throw new ActionFailure('invalid_date', `Not an ISO date-time: ${text}`);
  return at;
}

async function assignTo(
  deps: InternalActionDeps,
  current: Lead,
  agentId: string,
): Promise<InternalActionResult> {
  const { lead, events } = await changeLeadWithin(
    deps.trx,
    deps.lead,
    current.id,
    { assignedAgentId: agentId },
    {},
    deps.scoring,
  );
  return { lead, events, detail: { agentId, from: current.assignedAgentId } };
}

/** The CRM's assignment engine, for a lead nobody owns yet (an owned lead keeps its owner). */
async function assignByRules(deps: InternalActionDeps, current: Lead): Promise<InternalActionResult> {
  if (current.assignedAgentId) {
    return { lead: current, events: [], detail: { agentId: current.assignedAgentId, alreadyAssigned: true } };
  }
  const { trx, lead: ctx } = deps;
  const row = await requireLeadRow(trx, everyLead, current.id, { forUpdate: true });
  const { lead: assigned, decision } = await assignLead(
    trx,
    ctx.handle,
    row,
    deps.assignmentRules,
    ctx.actor,
  );
  if (!decision.agentId) {
    throw new ActionFailure('no_agent_available', 'No agent can take the lead now', {
      reason: decision.reason,
    });
  }
  const lead = toLead(assigned, deps.scoring.hotThreshold);
  return {
    lead,
    events: [{ name: 'lead.assigned', tenantId: ctx.handle.tenant.id, lead }],
    detail: { agentId: decision.agentId, ruleName: decision.ruleName, strategy: decision.strategy },
  };
}

/**
 * A manual adjustment of the rule-based score (clamped to 0–100), logged like any field
 * change. The CRM recomputes the score from its weights on the lead's next field change.
 */
async function changeScore(
  deps: InternalActionDeps,
  current: Lead,
  by: number,
): Promise<InternalActionResult> {
  const { trx, lead: ctx, scoring, held } = deps;
  const from = held ? (await held.current(trx, current.id)).score : current.score;
  const score = Math.min(100, Math.max(0, from + by));
  const plan: LeadChangePlan = {
    set: { score },
    activity: [
      {
        leadId: current.id,
        kind: 'field_changed',
        actor: ctx.actor,
        data: { field: 'score', from, to: score },
      },
    ],
  };
  const detail = { from, to: score };
  if (held) {
    const { lead } = held.apply(ctx, await held.current(trx, current.id), plan, scoring);
    return { lead, events: [{ name: 'lead.updated', tenantId: ctx.handle.tenant.id, lead }], detail };
  }
  const lead = toLead(await writeLeadChange(trx, current.id, plan), scoring.hotThreshold);
  return { lead, events: [{ name: 'lead.updated', tenantId: ctx.handle.tenant.id, lead }], detail };
}
