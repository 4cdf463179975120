import { everyLead, type Actor, type Visibility } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { AppServices } from '../app/services.js';
import { fireInternalTrigger } from '../automations/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { emitDealEvents, findDealRow, moveDealWithin, type DealEmit } from '../deals/index.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import type { TenantCaller } from '../http/request-context.js';
import { normalisePhone, type LeadEvent } from '../leads/index.js';
import { jobRequest, type EnqueueRequest } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { resolveRepliedWithin } from '../signals/index.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { conversationInServiceWindow, recordOutboundDocument } from '../whatsapp/index.js';
import {
  findQuotationRow,
  quotationRef,
  selectQuotations,
  toQuotation,
  type QuotationRow,
} from './quotation.repository.js';
import type { CreateQuotationInput, PatchQuotationInput, Quotation } from './quotation.schemas.js';
import type { PaymentType, QuotationStatus } from './quotations.tables.js';
import { whatsappSendAttempts } from './quotations.jobs.js';
import { whatsappDocumentOf } from './send-quotation.job.js';
import { computeTotals, paymentSplit, type LineInput } from './totals.js';

export const quotationUpdatedEvent = 'quotation.updated';
export const sendQuotationJobKind = 'quotations.send' as const;

type Caller = Pick<TenantCaller, 'handle' | 'access' | 'actor'>;

const basisPoints = (percent: number) => Math.round(percent * 100);

type LineBody = CreateQuotationInput['lines'][number];
export const toLineInputs = (lines: LineBody[]): LineInput[] =>
  lines.map((line) => ({
    name: line.name,
    sku: line.sku ?? null,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    discountBp: basisPoints(line.discountPercent),
    taxBp: basisPoints(line.taxPercent),
  }));

/** The version columns computed from lines and payment; a 400 when a client total disagrees. */
function versionValues(
  lines: LineInput[],
  payment: { type: PaymentType; prepaidAmount?: number },
  clientTotal: number | undefined,
) {
  const totals = computeTotals(lines);
  if (clientTotal !== undefined && clientTotal !== totals.total) {
    throw AppError.invalidFields([
      {
        path: 'body.total',
        message: `The total is computed by the server: ${totals.total}, not ${clientTotal} (omit it, or send the computed one)`,
      },
    ]);
  }
  const split = paymentSplit(payment.type, totals.total, payment.prepaidAmount);
  return {
    lines: JSON.stringify(totals.lines),
    subtotal: totals.subtotal,
    discount_total: totals.discountTotal,
    tax_total: totals.taxTotal,
    total: totals.total,
    payment_type: split.type,
    prepaid_amount: split.prepaidAmount,
    cod_amount: split.codAmount,
  };
}

const visibilityOf = (caller: Caller, write: boolean): Visibility =>
  caller.access.visibility(write ? 'leads.write' : 'leads.read');

/** A quotation the caller sees (read or write scope), else 404. */
export async function quotationOr404(caller: Caller, idOrRef: string, write = false): Promise<QuotationRow> {
  return orNotFound(
    await findQuotationRow(caller.handle.db, visibilityOf(caller, write), idOrRef),
    'Quotation',
  );
}

/** The quotation's row in the unit, locked: transitions of one quotation run one after another. */
async function lockedRow(trx: TenantDb, id: string): Promise<QuotationRow> {
  await trx.selectFrom('quotations').select('id').where('id', '=', id).forUpdate().execute();
  return orNotFound(await findQuotationRow(trx, everyLead, id), 'Quotation');
}

function emitUpdated(services: Pick<AppServices, 'realtime'>, tenantId: string, row: QuotationRow) {
  const quotation = toQuotation(row);
  services.realtime.emitForLead(tenantId, row.owner_agent_id, quotationUpdatedEvent, quotation);
  return quotation;
}

/** Creates a draft quotation (version 1) of a deal the caller may write, in the deal's currency. */
export async function createQuotation(
  services: AppServices,
  caller: Caller,
  dealIdOrRef: string,
  input: CreateQuotationInput,
): Promise<Quotation> {
  const { handle } = caller;
  const deal = orNotFound(await findDealRow(handle.db, visibilityOf(caller, true), dealIdOrRef), 'Deal');
  const values = versionValues(toLineInputs(input.lines), input.payment, input.total);
  const row = await inTenantTransaction(services, handle, async ({ trx }) => {
    const created = await trx
      .insertInto('quotations')
      .values({
        deal_id: deal.id,
        currency: deal.currency,
        expires_at: input.expiresAt ?? null,
        shared_at: null,
        accepted_at: null,
        rejected_at: null,
        expired_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('quotation_versions')
      .values({
        quotation_id: created.id,
        version: 1,
        ...values,
        notes: input.notes ?? null,
        terms: input.terms ?? null,
        ...actorColumns(caller.actor),
      })
      .execute();
    return orNotFound(await findQuotationRow(trx, everyLead, created.id), 'Quotation');
  });
  return emitUpdated(services, handle.tenant.id, row);
}

/**
 * Edits a quotation: a draft's current version is rewritten in place; a shared, accepted,
 * rejected or expired quotation gets a new version (the old one stays readable) and is a draft
 * again. Fields not sent keep the current version's values.
 */
export async function updateQuotation(
  services: AppServices,
  caller: Caller,
  idOrRef: string,
  input: PatchQuotationInput,
): Promise<Quotation> {
  const { handle } = caller;
  const seen = await quotationOr404(caller, idOrRef, true);
  const row = await inTenantTransaction(services, handle, async ({ trx }) => {
    const current = await lockedRow(trx, seen.id);
    const lines = input.lines
      ? toLineInputs(input.lines)
      : current.lines.map(({ name, sku, quantity, unitPrice, discountBp, taxBp }) => ({
          name,
          sku,
          quantity,
          unitPrice,
          discountBp,
          taxBp,
        }));
    const payment = input.payment ?? {
      type: current.payment_type,
      ...(current.payment_type === 'partial' ? { prepaidAmount: Number(current.prepaid_amount) } : {}),
    };
    const values = versionValues(lines, payment, input.total);
    const text = {
      notes: input.notes === undefined ? current.notes : input.notes,
      terms: input.terms === undefined ? current.terms : input.terms,
    };
    const now = new Date();
    const expires = input.expiresAt === undefined ? {} : { expires_at: input.expiresAt };
    if (current.status === 'draft') {
      await trx
        .updateTable('quotation_versions')
        .set({ ...values, ...text, updated_at: now })
        .where('quotation_id', '=', current.id)
        .where('version', '=', current.current_version)
        .execute();
      await trx
        .updateTable('quotations')
        .set({ ...expires, updated_at: now })
        .where('id', '=', current.id)
        .execute();
    } else {
      const version = current.current_version + 1;
      await trx
        .insertInto('quotation_versions')
        .values({
          quotation_id: current.id,
          version,
          ...values,
          ...text,
          ...actorColumns(caller.actor),
        })
        .execute();
      await trx
        .updateTable('quotations')
        .set({
          ...expires,
          status: 'draft',
          current_version: version,
          shared_at: null,
          accepted_at: null,
          rejected_at: null,
          expired_at: null,
          updated_at: now,
        })
        .where('id', '=', current.id)
        .execute();
    }
    return orNotFound(await findQuotationRow(trx, everyLead, current.id), 'Quotation');
  });
  return emitUpdated(services, handle.tenant.id, row);
}

export type Transition = 'share' | 'accept' | 'reject';

const allowedFrom: Record<Transition, QuotationStatus> = {
  share: 'draft',
  accept: 'shared',
  reject: 'shared',
};

function checkTransition(row: QuotationRow, transition: Transition, now: Date): void {
  const from = allowedFrom[transition];
  const ref = quotationRef(row.number);
  if (row.status !== from) {
    throw new AppError(
      'invalid_status_transition',
      `${ref} is ${row.status}: only a ${from} quotation can be ${transition === 'share' ? 'shared' : `${transition}ed`}${row.status === 'draft' ? '' : ' (edit it to make a new draft version)'}`,
      { details: { status: row.status, transition } },
    );
  }
  if ((transition === 'accept' || transition === 'share') && row.expires_at && row.expires_at <= now) {
    throw new AppError('invalid_status_transition', `${ref} expired at ${row.expires_at.toISOString()}`, {
      details: { status: 'expired', transition, expiresAt: row.expires_at },
    });
  }
}

/** Marks a draft shared inside a unit (also what sending does). */
async function markShared(trx: TenantDb, row: QuotationRow, now: Date) {
  await trx
    .updateTable('quotations')
    .set({ status: 'shared', shared_at: now, updated_at: now })
    .where('id', '=', row.id)
    .execute();
}

/**
 * Accepting: the deal moves to its pipeline's first won stage when the pipeline says so
 * (`win_on_quotation_accepted`), with the deal's status `won`, in the same transaction; and
 * `quotation_accepted` fires for the deal's lead.
 */
async function onAccepted(
  unit: TenantUnitOfWork<LeadEvent>,
  services: AppServices,
  handle: TenantHandle,
  row: QuotationRow,
  actor: Actor,
  emits: DealEmit[],
) {
  const { trx } = unit;
  const ref = quotationRef(row.number);
  const pipeline = await trx
    .selectFrom('pipelines')
    .select(['win_on_quotation_accepted'])
    .where('id', '=', row.pipeline_id)
    .executeTakeFirstOrThrow();
  if (pipeline.win_on_quotation_accepted) {
    const won = await trx
      .selectFrom('pipeline_stages')
      .select('id')
      .where('pipeline_id', '=', row.pipeline_id)
      .where('outcome', '=', 'won')
      .orderBy('position')
      .executeTakeFirst();
    // The deal's own move (status, timeline, deal_won and stage_changed, realtime), as a move request makes it.
    if (won) {
      await moveDealWithin(
        unit,
        services,
        { handle, actor },
        row.deal_id,
        { stageId: won.id, reason: `quotation ${ref} accepted` },
        emits,
      );
    }
  }
  await fireInternalTrigger(unit, services, handle, {
    trigger: 'quotation_accepted',
    leadId: row.lead_id,
    key: `quotation_accepted:${row.id}:${row.current_version}`,
    variables: {
      quotationId: row.id,
      quotationRef: ref,
      dealId: row.deal_id,
      total: Number(row.total),
      currency: row.currency,
    },
  });
}

/** draft → shared, shared → accepted | rejected; anything else is a 409 `invalid_status_transition`. */
export async function transitionQuotation(
  services: AppServices,
  caller: Caller,
  idOrRef: string,
  transition: Transition,
  now = new Date(),
): Promise<Quotation> {
  const { handle } = caller;
  const seen = await quotationOr404(caller, idOrRef, true);
  let emits: DealEmit[] = [];
  const row = await inTenantTransaction<QuotationRow, LeadEvent>(services, handle, async (unit) => {
    emits = [];
    const { trx } = unit;
    const current = await lockedRow(trx, seen.id);
    checkTransition(current, transition, now);
    if (transition === 'share') await markShared(trx, current, now);
    else {
      const status = transition === 'accept' ? 'accepted' : 'rejected';
      await trx
        .updateTable('quotations')
        .set({
          status,
          ...(status === 'accepted' ? { accepted_at: now } : { rejected_at: now }),
          updated_at: now,
        })
        .where('id', '=', current.id)
        .execute();
      if (status === 'accepted') await onAccepted(unit, services, handle, current, caller.actor, emits);
    }
    return orNotFound(await findQuotationRow(trx, everyLead, current.id), 'Quotation');
  });
  emitDealEvents(services, handle.tenant.id, emits);
  return emitUpdated(services, handle.tenant.id, row);
}

export type SendQuotationInput = { channel: 'email' | 'whatsapp'; to?: string };

/**
 * Queues the sending of the quotation's current version (its PDF) and marks a draft shared, in
 * one unit of work: the job exists exactly when the quotation is shared. By WhatsApp the
 * recipient must have written within 24 hours (409 `outside_customer_service_window`, checked
 * here, before anything is queued), and the outbound document message is recorded (queued) in
 * the same unit, in the customer's conversation; the job sends that message.
 */
export async function sendQuotation(
  services: AppServices,
  caller: Caller,
  idOrRef: string,
  input: SendQuotationInput,
  now = new Date(),
): Promise<{ quotation: Quotation; jobId: string; to: string; messageId?: string }> {
  const { handle } = caller;
  const seen = await quotationOr404(caller, idOrRef, true);
  const to = await recipientOf(handle, seen, input);
  const conversation =
    input.channel === 'whatsapp' ? await conversationInServiceWindow(handle.db, to, now) : undefined;
  const result = await inTenantTransaction(services, handle, async (unit) => {
    const { trx, enqueue } = unit;
    const current = await lockedRow(trx, seen.id);
    if (current.status === 'draft') {
      checkTransition(current, 'share', now);
      await markShared(trx, current, now);
    } else if (current.status !== 'shared') {
      throw new AppError(
        'invalid_status_transition',
        `${quotationRef(current.number)} is ${current.status}: edit it to send a new version`,
        { details: { status: current.status, transition: 'send' } },
      );
    }
    const common = {
      quotationId: current.id,
      version: current.current_version,
      requestedBy: caller.actor,
    };
    let messageId: string | undefined;
    let request: EnqueueRequest;
    if (conversation) {
      const document = whatsappDocumentOf(
        handle.tenant.name,
        quotationRef(current.number),
        current.current_version,
      );
      messageId = await recordOutboundDocument(trx, { conversationId: conversation.id, ...document }, now);
      // A person sending the quotation answers the customer, as a reply in the inbox does.
      if (conversation.leadId) {
        await resolveRepliedWithin(unit, services, handle, {
          type: 'whatsapp',
          leadId: conversation.leadId,
          actor: caller.actor,
        });
      }
      request = jobRequest(
        handle.tenant.id,
        sendQuotationJobKind,
        { ...common, channel: 'whatsapp', to, messageId },
        { maxAttempts: whatsappSendAttempts },
      );
    } else {
      request = jobRequest(handle.tenant.id, sendQuotationJobKind, { ...common, channel: 'email', to });
    }
    const [job] = await enqueue(request);
    const row = orNotFound(await findQuotationRow(trx, everyLead, current.id), 'Quotation');
    return { row, jobId: job!.id, messageId };
  });
  return {
    quotation: emitUpdated(services, handle.tenant.id, result.row),
    jobId: result.jobId,
    to,
    ...(result.messageId ? { messageId: result.messageId } : {}),
  };
}

/**
 * Where a send goes: `to` when given (a phone in E.164 for WhatsApp, read in the tenant's
 * country), else email: the deal's contact's, else its lead's address; WhatsApp: the deal's
 * lead's phone, else its contact's. None: 400 naming `body.to`.
 */
async function recipientOf(handle: TenantHandle, row: QuotationRow, input: SendQuotationInput) {
  if (input.channel === 'whatsapp') {
    if (input.to) return normalisePhone(input.to, handle.tenant.defaultCountry, 'body.to');
    const phone = await defaultPhoneOf(handle.db, row);
    if (!phone) {
      throw AppError.invalidFields([
        { path: 'body.to', message: "The deal's lead and contact have no phone number: give `to`" },
      ]);
    }
    return phone;
  }
  const to = input.to ?? (await defaultEmailOf(handle.db, row));
  if (!to) {
    throw AppError.invalidFields([
      { path: 'body.to', message: "The deal's contact and lead have no email address: give `to`" },
    ]);
  }
  return to;
}

async function defaultPhoneOf(db: TenantDb, row: QuotationRow): Promise<string | null> {
  if (row.lead_id) {
    const lead = await db
      .selectFrom('leads')
      .select('phone')
      .where('id', '=', row.lead_id)
      .executeTakeFirst();
    if (lead?.phone) return lead.phone;
  }
  if (row.contact_id) {
    const contact = await db
      .selectFrom('contacts')
      .select('phone')
      .where('id', '=', row.contact_id)
      .executeTakeFirst();
    if (contact?.phone) return contact.phone;
  }
  return null;
}

async function defaultEmailOf(db: TenantDb, row: QuotationRow): Promise<string | null> {
  if (row.contact_id) {
    const contact = await db
      .selectFrom('contacts')
      .select('email')
      .where('id', '=', row.contact_id)
      .executeTakeFirst();
    if (contact?.email) return contact.email;
  }
  if (row.lead_id) {
    const lead = await db
      .selectFrom('leads')
      .select('email')
      .where('id', '=', row.lead_id)
      .executeTakeFirst();
    if (lead?.email) return lead.email;
  }
  return null;
}

/**
 * The expiry cron's work for one tenant: every shared quotation past its `expires_at` (at `now`)
 * becomes `expired`, in one statement; each is announced as `quotation.updated`.
 */
export async function expireQuotations(
  services: Pick<AppServices, 'realtime'>,
  handle: TenantHandle,
  now: Date,
): Promise<number> {
  const expired = await handle.db
    .updateTable('quotations')
    .set({ status: 'expired', expired_at: now, updated_at: now })
    .where('status', '=', 'shared')
    .where('expires_at', '<=', now)
    .returning('id')
    .execute();
  if (expired.length === 0) return 0;
  const rows = await findRowsById(
    handle.db,
    expired.map((row) => row.id),
  );
  for (const row of rows) emitUpdated(services, handle.tenant.id, row);
  return expired.length;
}

async function findRowsById(db: TenantDb, ids: string[]): Promise<QuotationRow[]> {
  const rows: QuotationRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    rows.push(
      ...((await selectQuotations(db, everyLead)
        .where('quotations.id', 'in', chunk)
        .execute()) as QuotationRow[]),
    );
  }
  return rows;
}
