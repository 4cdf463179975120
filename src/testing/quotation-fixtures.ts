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
