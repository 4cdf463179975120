import type { Access } from '../auth/access.js';
import { actorFromColumns } from '../auth/actors.js';
import type { AppServices } from '../app/services.js';
import { fireInternalTrigger } from '../automations/index.js';
import { findContact } from '../contacts/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import {
  changedLead,
  planLeadChange,
  requireLeadRow,
  requireLeadToChange,
  requireWritable,
  writeLeadChange,
  type Lead,
  type LeadContext,
  type LeadEvent,
  type LeadRow,
} from '../leads/index.js';
import { loadScoringSettings } from '../scoring/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import type { PipelineKind } from './pipelines.tables.js';
import { moveToStage, type StageMove } from './stage-moves.js';
import { entryDurationMs, timeInStages } from './time-in-stage.js';

export interface MoveInput {
  stageId: string;
  reason?: string;
  reopen?: boolean;
}

/** The `stage_changed` trigger of a move, in the move's unit of work (free when no rule listens). */
async function fireStageChanged(
  unit: TenantUnitOfWork<LeadEvent>,
  services: AppServices,
  handle: TenantHandle,
  kind: PipelineKind,
  recordId: string,
  leadId: string | null,
  move: StageMove,
): Promise<void> {
  await fireInternalTrigger(unit, services, handle, {
    trigger: 'stage_changed',
    leadId,
    variables: {
      kind,
      recordId,
      pipelineId: move.to.pipeline_id,
      fromStageId: move.from?.id ?? null,
      fromStage: move.from?.name ?? null,
      toStageId: move.to.id,
      toStage: move.to.name,
      reason: move.entry?.reason ?? null,
    },
  });
}

/** The status a lead takes on entering a stage: its `leadStatus`, else won/lost, else none (unchanged). */
export const statusOfStage = (stage: { lead_status: string | null; outcome: string | null }) =>
  stage.lead_status ?? stage.outcome;

/**
 * Moves a lead the caller may change (404 unseen, 403 unwritable) to a stage (`moveToStage`), and
 * makes its status follow the stage through the lead's own change path (`planLeadChange`: activity
 * entry, score, `lead.status_changed`, the automation outbox), with a `stage_changed` entry in its
 * activity log and the `stage_changed` trigger, all in one unit of work.
 */
export async function moveLeadToStage(
  services: AppServices,
  ctx: LeadContext,
  idOrRef: string,
  input: MoveInput,
): Promise<{ lead: Lead; moved: boolean }> {
  const { handle, actor } = ctx;
  const scoring = await loadScoringSettings(handle);
  return inTenantTransaction(services, handle, async (unit) => {
    const { trx } = unit;
    const locked = await requireLeadToChange(trx, ctx.access, idOrRef, { forUpdate: true });
    const move = await moveToStage(trx, {
      kind: 'lead',
      recordId: locked.id,
      stageId: input.stageId,
      actor,
      reason: input.reason,
      reopen: input.reopen,
    });
    if (!move.moved) return { lead: changedLead(ctx, locked, locked, scoring).lead, moved: false };
    const status = statusOfStage(move.to);
    const before: LeadRow = {
      ...locked,
      pipeline_id: move.to.pipeline_id,
      stage_id: move.to.id,
      stage_entered_at: move.entry!.entered_at,
    };
    const plan = planLeadChange(
      ctx,
      before,
      status && status !== locked.status
        ? { status: status as Lead['status'], reopen: true }
        : ({} as Parameters<typeof planLeadChange>[2]),
      {},
      scoring,
      { byStage: true },
    ) ?? { set: {}, activity: [] };
    plan.activity.push({
      leadId: locked.id,
      kind: 'stage_changed',
      actor,
      data: {
        pipelineId: move.to.pipeline_id,
        from: move.from ? { id: move.from.id, name: move.from.name } : null,
        to: { id: move.to.id, name: move.to.name },
        reason: move.entry!.reason,
      },
    });
    const after = await writeLeadChange(trx, locked.id, plan);
    const { lead, events } = changedLead(ctx, locked, after, scoring);
    unit.publish(...events);
    await fireStageChanged(unit, services, handle, 'lead', locked.id, locked.id, move);
    return { lead, moved: true };
  });
}

/** A contact the caller sees (else 404) and whose lead their `leads.write` reaches (else 403). */
async function requireWritableContact(db: TenantDb, access: Access, id: string) {
  const contact = await findContact(db, id, access.visibility('leads.read'));
  if (!contact) throw AppError.notFound('Contact', { id });
  requireWritable((await findContact(db, id, access.visibility('leads.write'))) !== undefined);
  return contact;
}

/** Moves a contact the caller may change to a stage; a closed pipeline is open again after the move. */
export async function moveContactToStage(
  services: AppServices,
  handle: TenantHandle,
  access: Access,
  actor: LeadContext['actor'],
  contactId: string,
  input: MoveInput,
): Promise<{ moved: boolean; contactId: string; pipelineId: string; stageId: string; stageEnteredAt: Date }> {
  const contact = await requireWritableContact(handle.db, access, contactId);
  return inTenantTransaction(services, handle, async (unit) => {
    const move = await moveToStage(unit.trx, {
      kind: 'contact',
      recordId: contact.id,
      stageId: input.stageId,
      actor,
      reason: input.reason,
      reopen: input.reopen,
    });
    if (move.moved) {
      await unit.trx
        .updateTable('contacts')
        .set({ pipeline_closed_at: null })
        .where('id', '=', contact.id)
        .where('pipeline_closed_at', 'is not', null)
        .execute();
      const leadId = (move.before.lead_id as string | null) ?? null;
      await fireStageChanged(unit, services, handle, 'contact', contact.id, leadId, move);
    }
    return {
      moved: move.moved,
      contactId: contact.id,
      pipelineId: move.to.pipeline_id,
      stageId: move.to.id,
      stageEnteredAt: move.entry?.entered_at ?? (move.before.stage_entered_at as Date),
    };
  });
}

/** A record's stage history, oldest first, with durations and the time in each stage. */
export async function stageHistory(db: TenantDb, kind: PipelineKind, recordId: string, now = new Date()) {
  const rows = await db
    .selectFrom('stage_history')
    .innerJoin('pipeline_stages', 'pipeline_stages.id', 'stage_history.stage_id')
    .select([
      'stage_history.id',
      'stage_history.pipeline_id',
      'stage_history.stage_id',
      'pipeline_stages.name as stage',
      'stage_history.entered_at',
      'stage_history.exited_at',
      'stage_history.actor',
      'stage_history.actor_type',
      'stage_history.actor_id',
      'stage_history.reason',
    ])
    .where('stage_history.record_kind', '=', kind)
    .where('stage_history.record_id', '=', recordId)
    .orderBy('stage_history.id')
    .execute();
  const timed = rows.map((row) => ({
    stageId: row.stage_id,
    enteredAt: row.entered_at,
    exitedAt: row.exited_at,
  }));
  const names = new Map(rows.map((row) => [row.stage_id, row.stage]));
  return {
    entries: rows.map((row, i) => ({
      id: String(row.id),
      pipelineId: row.pipeline_id,
      stageId: row.stage_id,
      stage: row.stage,
      enteredAt: row.entered_at,
      exitedAt: row.exited_at,
      actor: row.actor_type || row.actor ? actorFromColumns(row.actor, row.actor_type, row.actor_id) : null,
      reason: row.reason,
      durationMs: entryDurationMs(timed[i]!, now),
    })),
    timeInStage: timeInStages(timed, now).map((total) => ({ ...total, stage: names.get(total.stageId)! })),
  };
}

/** The history of a lead the caller sees (404 otherwise). */
export async function leadStageHistory(handle: TenantHandle, access: Access, idOrRef: string) {
  const lead = await requireLeadRow(handle.db, access.visibility('leads.read'), idOrRef);
  return stageHistory(handle.db, 'lead', lead.id);
}

/** The history of a contact the caller sees (404 otherwise). */
export async function contactStageHistory(handle: TenantHandle, access: Access, contactId: string) {
  const contact = await findContact(handle.db, contactId, access.visibility('leads.read'));
  if (!contact) throw AppError.notFound('Contact', { id: contactId });
  return stageHistory(handle.db, 'contact', contact.id);
}
