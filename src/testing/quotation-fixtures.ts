import { systemActor } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import { appendStageEntry } from '../pipelines/index.js';

/**
 * Pipelines and deals for the quotation tests, written straight into the tenant's schema (the
 * deal API lands in parallel): a deal pipeline with an open stage, a won stage and a lost stage.
 */
export async function addDealPipeline(
  db: TenantDb,
  options: { name?: string; winOnQuotationAccepted?: boolean } = {},
) {
  const pipeline = await db
    .insertInto('pipelines')
    .values({
      kind: 'deal',
      name: options.name ?? `Deals ${Math.random().toString(36).slice(2, 8)}`,
      win_on_quotation_accepted: options.winOnQuotationAccepted ?? false,
      archived_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const stage = (position: number, name: string, outcome: 'won' | 'lost' | null) =>
    db
      .insertInto('pipeline_stages')
      .values({ pipeline_id: pipeline.id, position, name, outcome, rotting_days: null, lead_status: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  const open = await stage(1, 'Proposal', null);
  const won = await stage(2, 'Won', 'won');
  const lost = await stage(3, 'Lost', 'lost');
  return { id: pipeline.id, stages: { open, won, lost } };
}

export type TestPipeline = Awaited<ReturnType<typeof addDealPipeline>>;

/** A deal in the pipeline's first stage, owned by `ownerAgentId` (null: unowned), with its history entry. */
export async function addDeal(
  db: TenantDb,
  pipeline: TestPipeline,
  options: { ownerAgentId?: string | null; leadId?: string | null; currency?: string; title?: string } = {},
) {
  const deal = await db
    .insertInto('deals')
    .values({
      title: options.title ?? 'Fleet order',
      pipeline_id: pipeline.id,
      stage_id: pipeline.stages.open.id,
      lead_id: options.leadId ?? null,
      contact_id: null,
      owner_agent_id: options.ownerAgentId ?? null,
      currency: options.currency ?? 'EUR',
      probability: null,
      close_reason: null,
      closed_at: null,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await appendStageEntry(db, {
    kind: 'deal',
    recordId: deal.id,
    stage: pipeline.stages.open,
    actor: systemActor('test'),
  });
  return { id: deal.id, ref: `D-${deal.number}` };
}

/**
 * A quotation of `dealId` straight into the schema: one line of 10.00, prepaid, version 1, in
 * `status` (for tests that need a shared one without the API).
 */
export async function addQuotation(
  db: TenantDb,
  dealId: string,
  status: 'draft' | 'shared' | 'accepted' | 'rejected' | 'expired' = 'draft',
) {
  const quotation = await db
    .insertInto('quotations')
    .values({
      deal_id: dealId,
      currency: 'EUR',
      status,
      expires_at: null,
      shared_at: status === 'draft' ? null : new Date(),
      accepted_at: null,
      rejected_at: null,
      expired_at: null,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  const line = { name: 'Item', sku: null, quantity: 1, unitPrice: 1000, discountBp: 0, taxBp: 0 };
  await db
    .insertInto('quotation_versions')
    .values({
      quotation_id: quotation.id,
      version: 1,
      lines: JSON.stringify([{ ...line, gross: 1000, discount: 0, net: 1000, tax: 0, total: 1000 }]),
      subtotal: 1000,
      discount_total: 0,
      tax_total: 0,
      total: 1000,
      payment_type: 'prepaid',
      prepaid_amount: 1000,
      cod_amount: 0,
      notes: null,
      terms: null,
      actor: 'test',
      actor_type: 'system',
      actor_id: null,
    })
    .execute();
  return { id: quotation.id, ref: `Q-${quotation.number}`, dealId };
}

const pipelines = new WeakMap<TenantDb, Promise<TestPipeline>>();

/**
 * A deal owned as `leadId`'s lead is (its assigned agent; null: unowned), linked to it, with a
 * quotation in `status`: what the visibility matrix writes through. One pipeline per schema.
 */
export async function quotationOfLead(
  db: TenantDb,
  leadId: string,
  status: Parameters<typeof addQuotation>[2] = 'draft',
) {
  const lead = await db
    .selectFrom('leads')
    .select('assigned_agent_id')
    .where('id', '=', leadId)
    .executeTakeFirstOrThrow();
  return quotationOfOwner(db, lead.assigned_agent_id, status, leadId);
}

/** A deal of `ownerAgentId` (null: unowned) with a quotation in `status`. */
export async function quotationOfOwner(
  db: TenantDb,
  ownerAgentId: string | null,
  status: Parameters<typeof addQuotation>[2] = 'draft',
  leadId: string | null = null,
) {
  if (!pipelines.has(db)) pipelines.set(db, addDealPipeline(db, { name: 'Matrix quotations' }));
  const deal = await addDeal(db, await pipelines.get(db)!, { ownerAgentId, leadId });
  return addQuotation(db, deal.id, status);
}
