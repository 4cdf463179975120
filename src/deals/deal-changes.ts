import { recordDealActivity } from './deal-activity.js';
import { announceDealFollowUps } from './follow-up-changed.js';
import { sql } from 'kysely';
import type { AppServices } from '../app/services.js';
import { everyLead, type Access, type Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import { fireInternalTrigger } from '../automations/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import type { ActingCaller } from '../http/request-context.js';
import { orNotFound } from '../http/or-not-found.js';
import { contactVisibleTo, requireAssignable, requireLeadRow, type LeadEvent } from '../leads/index.js';
import { assertAgentsExist } from '../agents/index.js';
import {
  recordEntryStages,
  leavePipeline,
  missingFields,
  moveToStage,
  requirePipelineStage,
  type PipelineStage,
} from '../pipelines/index.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { dealRef, toDeal, type DealRow } from './deal.mapper.js';
import { findDealRow } from './deal.repository.js';
import type { CreateDealInput, Deal, UpdateDealInput } from './deal.schemas.js';

/** Who changes deals: the tenant, the actor (for the timeline), their access, their own agent profile (default owner). */
export type DealContext = ActingCaller;

export type DealServices = Pick<AppServices, 'leadEvents' | 'queue' | 'servers' | 'realtime'>;

/** A realtime event of a deal, emitted to its owner's rooms after the commit. */
export interface DealEmit {
  event: 'deal.created' | 'deal.updated' | 'deal.stage_changed';
  deal: Deal;
  payload: unknown;
}

/** Emits `emits` to the rooms that see each deal's owner (deals carry no personal data: no masked twin needed). */
export function emitDealEvents(services: Pick<AppServices, 'realtime'>, tenantId: string, emits: DealEmit[]) {
  for (const { event, deal, payload } of emits) {
    services.realtime.emitForLead(tenantId, deal.ownerId, event, payload);
  }
}

/** Runs `work` in one unit of work, then emits its deal events (only once it committed). */
async function inDealTransaction<T>(
  services: DealServices,
  ctx: DealContext,
  work: (unit: TenantUnitOfWork<LeadEvent>, emits: DealEmit[]) => Promise<T>,
): Promise<T> {
  let emits: DealEmit[] = [];
  const result = await inTenantTransaction(services, ctx.handle, async (unit) => {
    emits = [];
    return work(unit, emits);
  });
  emitDealEvents(services, ctx.handle.tenant.id, emits);
  return result;
}

async function requireVisibleContact(trx: TenantDb, access: Access, contactId: string): Promise<void> {
  const row = await trx
    .selectFrom('contacts')
    .select('contacts.id')
    .where('contacts.id', '=', contactId)
    .where(contactVisibleTo(access.visibility('leads.read')))
    .executeTakeFirst();
  orNotFound(row, 'Contact', { id: contactId });
}

/** Refuses (403) a write on a deal the caller sees but whose owner their `leads.write` does not reach. */
function requireWritableOwner(access: Access, ownerId: string | null): void {
  if (!access.reaches('leads.write', ownerId)) {
    throw new AppError('forbidden', "Your role's leads.write does not reach this deal", {
      details: { permission: 'leads.write' },
    });
  }
}

/** A deal the caller sees (else 404) and may change (else 403), its row locked. */
export async function requireDealToChange(trx: TenantDb, access: Access, idOrRef: string): Promise<DealRow> {
  const row = orNotFound(await findDealRow(trx, access.visibility('leads.read'), idOrRef), 'Deal', {
    id: idOrRef,
  });
  requireWritableOwner(access, row.owner_agent_id);
  await trx.selectFrom('deals').select('id').where('id', '=', row.id).forUpdate().execute();
  return row;
}

async function reread(trx: TenantDb, id: string): Promise<Deal> {
  return toDeal((await findDealRow(trx, everyLead, id))!);
}

/** The stage a new deal enters: `stageId`, else the first of `pipelineId`, else of the default deal pipeline. */
async function entryStage(
  trx: TenantDb,
  input: { pipelineId?: string; stageId?: string },
  path: string,
): Promise<PipelineStage> {
  if (input.stageId) {
    const stage = await requirePipelineStage(trx, 'deal', input.stageId);
    if (input.pipelineId && stage.pipeline_id !== input.pipelineId) {
      throw AppError.invalidFields([
        { path: `${path}.stageId`, message: 'The stage is not a stage of pipelineId' },
      ]);
    }
    return stage;
  }
  const pipeline = await trx
    .selectFrom('pipelines')
    .selectAll()
    .where('kind', '=', 'deal')
    .where('archived_at', 'is', null)
    .$call((qb) =>
      input.pipelineId ? qb.where('id', '=', input.pipelineId) : qb.where('is_default', '=', true),
    )
    .executeTakeFirst();
  if (!pipeline) {
    if (input.pipelineId) throw AppError.notFound('Pipeline', { pipelineId: input.pipelineId });
    throw AppError.invalidFields([
      { path: `${path}.pipelineId`, message: 'Name a deal pipeline: the tenant has no default one' },
    ]);
  }
  const stage = await trx
    .selectFrom('pipeline_stages')
    .selectAll()
    .where('pipeline_id', '=', pipeline.id)
    .orderBy('position')
    .limit(1)
    .executeTakeFirst();
  if (!stage) {
    throw AppError.invalidFields([{ path: `${path}.pipelineId`, message: 'The pipeline has no stages' }]);
  }
  return { ...stage, pipeline };
}

/** Closes a contact's pipeline: a deal was created for it (its open stage entry ends). */
async function closeContactPipeline(trx: TenantDb, contactId: string): Promise<void> {
  await leavePipeline(trx, 'contact', contactId);
  await trx
    .updateTable('contacts')
    .set({ pipeline_closed_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', contactId)
    .where('pipeline_id', 'is not', null)
    .where('pipeline_closed_at', 'is', null)
    .execute();
}

/**
 * Creates a deal in the caller's unit of work: its stage (required fields apply: 409), its lead
 * and contact (visible to the caller, else 404), its owner (default: the lead's owner, else the
 * caller's own agent profile, else none; the caller's `leads.write` must reach it), its first
 * stage entry, its timeline entry; a contact's pipeline closes.
 */
export async function createDealWithin(
  trx: TenantDb,
  ctx: DealContext,
  input: CreateDealInput,
  path = 'body',
): Promise<Deal> {
  const { access } = ctx;
  const stage = await entryStage(trx, input, path);
  if (stage.outcome) {
    throw AppError.invalidFields([
      { path: `${path}.stageId`, message: `A deal enters a ${stage.outcome} stage by a move, with a reason` },
    ]);
  }
  const lead = input.leadId ? await requireLeadRow(trx, access.visibility('leads.read'), input.leadId) : null;
  if (input.contactId) await requireVisibleContact(trx, access, input.contactId);
  const ownerId =
    input.ownerId !== undefined ? input.ownerId : lead ? lead.assigned_agent_id : ctx.ownAgentId;
  if (ownerId) await assertAgentsExist(trx, ownerId, 'body.ownerId');
  requireWritableOwner(access, ownerId);
  if (input.ownerId !== undefined && input.ownerId !== (lead?.assigned_agent_id ?? ctx.ownAgentId)) {
    // Naming another owner than the default one is assigning.
    requireAssignable(access, ownerId, ownerId, 'unowned deals');
  }
  const values = {
    title: input.title,
    pipeline_id: stage.pipeline_id,
    stage_id: stage.id,
    lead_id: lead?.id ?? null,
    contact_id: input.contactId ?? null,
    owner_agent_id: ownerId,
    amount: input.amount ?? 0,
    currency: input.currency,
    probability: input.probability ?? null,
    expected_close_date: input.expectedCloseDate ?? null,
    follow_up_at: input.followUpAt ?? null,
    tags: [...new Set(input.tags ?? [])],
    custom_fields: input.customFields ?? {},
  };
  const missing = missingFields('deal', values, stage.required_fields);
  if (missing.length > 0) {
    throw new AppError('required_fields_missing', `The stage ${stage.name} requires: ${missing.join(', ')}`, {
      details: { stage: stage.name, missing },
    });
  }
  // Created as it enters its first stage, at one instant: its time in stages adds up to now − created.
  const createdAt = new Date();
  const inserted = await trx
    .insertInto('deals')
    .values({
      ...values,
      custom_fields: JSON.stringify(values.custom_fields),
      created_at: createdAt,
      stage_entered_at: createdAt,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await recordEntryStages(trx, 'deal', [inserted.id], ctx.actor);
  if (values.follow_up_at) {
    await announceDealFollowUps(trx, {
      actor: ctx.actor,
      entries: [{ dealId: inserted.id, followUpAt: values.follow_up_at, ownerAgentId: ownerId }],
    });
  }
  if (values.contact_id) await closeContactPipeline(trx, values.contact_id);
  await recordDealActivity(trx, inserted.id, ctx.actor, 'created', {
    ref: dealRef(inserted.number),
    stage: { id: stage.id, name: stage.name },
  });
  return reread(trx, inserted.id);
}

export function createDeal(services: DealServices, ctx: DealContext, input: CreateDealInput): Promise<Deal> {
  return inDealTransaction(services, ctx, async ({ trx }, emits) => {
    const deal = await createDealWithin(trx, ctx, input);
    emits.push({ event: 'deal.created', deal, payload: deal });
    return deal;
  });
}

const fieldColumns: Record<keyof UpdateDealInput, string> = {
  title: 'title',
  leadId: 'lead_id',
  contactId: 'contact_id',
  ownerId: 'owner_agent_id',
  amount: 'amount',
  currency: 'currency',
  probability: 'probability',
  expectedCloseDate: 'expected_close_date',
  followUpAt: 'follow_up_at',
  tags: 'tags',
  customFields: 'custom_fields',
};

/** Changes a deal's fields (not its stage: `moveDeal`); a new owner needs `leads.assign` at both ends. */
export function updateDeal(
  services: DealServices,
  ctx: DealContext,
  idOrRef: string,
  input: UpdateDealInput,
): Promise<Deal> {
  return inDealTransaction(services, ctx, async ({ trx }, emits) => {
    const { access } = ctx;
    const before = await requireDealToChange(trx, access, idOrRef);
    const set: Record<string, unknown> = {};
    if (input.ownerId !== undefined && input.ownerId !== before.owner_agent_id) {
      requireAssignable(access, before.owner_agent_id, input.ownerId, 'unowned deals');
      if (input.ownerId) await assertAgentsExist(trx, input.ownerId, 'body.ownerId');
    }
    if (input.leadId) await requireLeadRow(trx, access.visibility('leads.read'), input.leadId);
    if (input.contactId && input.contactId !== before.contact_id) {
      await requireVisibleContact(trx, access, input.contactId);
      await closeContactPipeline(trx, input.contactId);
    }
    const changed: string[] = [];
    for (const [field, column] of Object.entries(fieldColumns) as [keyof UpdateDealInput, string][]) {
      const value = input[field];
      if (value === undefined) continue;
      set[column] =
        field === 'customFields'
          ? JSON.stringify(value)
          : field === 'tags'
            ? [...new Set(value as string[])]
            : value;
      changed.push(field);
    }
    if (changed.length > 0) {
      await trx
        .updateTable('deals')
        .set({ ...set, updated_at: sql<Date>`clock_timestamp()` })
        .where('id', '=', before.id)
        .execute();
      await recordDealActivity(trx, before.id, ctx.actor, 'updated', { fields: changed });
    }
    if (input.followUpAt !== undefined && input.followUpAt?.getTime() !== before.follow_up_at?.getTime()) {
      await announceDealFollowUps(trx, {
        actor: ctx.actor,
        entries: [
          {
            dealId: before.id,
            followUpAt: input.followUpAt,
            ownerAgentId: input.ownerId !== undefined ? input.ownerId : before.owner_agent_id,
          },
        ],
      });
    }
    const deal = await reread(trx, before.id);
    if (changed.length > 0) emits.push({ event: 'deal.updated', deal, payload: deal });
    return deal;
  });
}

/** Hard delete: the deal, its timeline and notes (cascade) and its stage history, in one transaction. */
export function deleteDeal(
  services: DealServices,
  ctx: DealContext,
  idOrRef: string,
): Promise<{ id: string; deleted: true }> {
  return inDealTransaction(services, ctx, async ({ trx }) => {
    const deal = await requireDealToChange(trx, ctx.access, idOrRef);
    await trx
      .deleteFrom('stage_history')
      .where('record_kind', '=', 'deal')
      .where('record_id', '=', deal.id)
      .execute();
    await trx.deleteFrom('deals').where('id', '=', deal.id).execute();
    return { id: deal.id, deleted: true as const };
  });
}

/**
 * Moves a deal to a stage through `moveToStage` (row lock, forward-only, reopen, reason, required
 * fields), then, in the same transaction: its status (won/lost with closed_at and close_reason
 * on entering a won/lost stage; open again on reopening), its timeline, and the automation
 * triggers `stage_changed` (every move) and `deal_won` / `deal_lost`.
 */
export async function moveDeal(
  services: DealServices,
  ctx: DealContext,
  idOrRef: string,
  request: DealMoveRequest,
): Promise<Deal> {
  return inDealTransaction(services, ctx, async (unit, emits) => {
    const { access } = ctx;
    const visible = orNotFound(
      await findDealRow(unit.trx, access.visibility('leads.read'), idOrRef),
      'Deal',
      {
        id: idOrRef,
      },
    );
    requireWritableOwner(access, visible.owner_agent_id);
    return moveDealWithin(unit, services, ctx, visible.id, request, emits);
  });
}

export interface DealMoveRequest {
  stageId: string;
  reason?: string | null;
  reopen?: boolean;
}

/**
 * A deal's move and what follows from it, inside the caller's unit of work (a move request, or an
 * accepted quotation winning its deal): `moveToStage`, then the deal's status (won/lost with
 * `closed_at` and the reason on entering a won/lost stage, open again on reopening), its timeline
 * entry, the `stage_changed` and `deal_won`/`deal_lost` triggers, and `deal.stage_changed` in
 * `emits` (the caller emits them after its commit: `emitDealEvents`). The caller has checked that
 * its caller may change the deal.
 */
export async function moveDealWithin(
  unit: TenantUnitOfWork<LeadEvent>,
  services: Pick<AppServices, 'leadEvents' | 'queue' | 'servers'>,
  ctx: Pick<DealContext, 'handle' | 'actor'>,
  dealId: string,
  request: DealMoveRequest,
  emits: DealEmit[],
): Promise<Deal> {
  const { trx } = unit;
  const { handle } = ctx;
  const move = await moveToStage(trx, {
    kind: 'deal',
    recordId: dealId,
    stageId: request.stageId,
    actor: ctx.actor,
    reason: request.reason ?? null,
    reopen: request.reopen ?? false,
  });
  if (!move.moved) return reread(trx, dealId);
  const { from, to, entry } = move;
  const reason = entry?.reason ?? null;
  if (to.outcome) {
    await trx
      .updateTable('deals')
      .set({ status: to.outcome, closed_at: entry!.entered_at, close_reason: reason })
      .where('id', '=', dealId)
      .execute();
  } else if (from?.outcome) {
    await trx
      .updateTable('deals')
      .set({ status: 'open', closed_at: null, close_reason: null })
      .where('id', '=', dealId)
      .execute();
  }
  const fromRef = from ? { id: from.id, name: from.name } : null;
  const toRef = { id: to.id, name: to.name };
  await recordDealActivity(trx, dealId, ctx.actor, 'stage_changed', {
    from: fromRef,
    to: toRef,
    reason,
    ...(from?.outcome && !to.outcome ? { reopened: true } : {}),
  });
  const deal = await reread(trx, dealId);
  await fireInternalTrigger(unit, services, handle, {
    trigger: 'stage_changed',
    leadId: deal.leadId,
    variables: {
      kind: 'deal',
      recordId: deal.id,
      pipelineId: to.pipeline_id,
      fromStageId: from?.id ?? null,
      fromStage: from?.name ?? null,
      toStageId: to.id,
      toStage: to.name,
      reason,
    },
  });
  if (to.outcome) {
    await fireInternalTrigger(unit, services, handle, {
      trigger: to.outcome === 'won' ? 'deal_won' : 'deal_lost',
      leadId: deal.leadId,
      variables: {
        dealId: deal.id,
        dealRef: deal.ref,
        title: deal.title,
        amount: deal.amount,
        currency: deal.currency,
        reason,
        fromStage: from?.name ?? null,
        toStage: to.name,
      },
    });
  }
  emits.push({
    event: 'deal.stage_changed',
    deal,
    payload: { deal, from: fromRef, to: toRef, reason },
  });
  return deal;
}

/** `closed` or `order_created`: only a won deal gets there (409 `invalid_status_transition` otherwise). */
export function changeDealStatus(
  services: DealServices,
  ctx: DealContext,
  idOrRef: string,
  status: 'closed' | 'order_created',
): Promise<Deal> {
  return inDealTransaction(services, ctx, async ({ trx }, emits) => {
    const before = await requireDealToChange(trx, ctx.access, idOrRef);
    if (before.status !== 'won') {
      throw new AppError('invalid_status_transition', `Only a won deal becomes ${status}`, {
        details: { status: before.status, allowed: ['won'] },
      });
    }
    await trx
      .updateTable('deals')
      .set({ status, updated_at: sql<Date>`clock_timestamp()` })
      .where('id', '=', before.id)
      .execute();
    await recordDealActivity(trx, before.id, ctx.actor, 'status_changed', {
      from: before.status,
      to: status,
    });
    const deal = await reread(trx, before.id);
    emits.push({ event: 'deal.updated', deal, payload: deal });
    return deal;
  });
}

/** Adds a note to a deal, logged on its timeline. */
export function addDealNote(services: DealServices, ctx: DealContext, idOrRef: string, body: string) {
  return inDealTransaction(services, ctx, async ({ trx }) => {
    const deal = await requireDealToChange(trx, ctx.access, idOrRef);
    return insertDealNote(trx, deal.id, body, ctx.actor);
  });
}

/** Writes a note on a deal (the caller checked access), logged on its timeline. */
export async function insertDealNote(trx: TenantDb, dealId: string, body: string, author: Actor) {
  const { actor, actor_type, actor_id } = actorColumns(author);
  const note = await trx
    .insertInto('deal_notes')
    .values({ deal_id: dealId, body, author: actor, author_type: actor_type, author_id: actor_id })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordDealActivity(trx, dealId, author, 'note_added', { noteId: note.id });
  return note;
}
