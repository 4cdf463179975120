import { assertAgentsExist } from '../agents/index.js';
import type { Insertable } from 'kysely';
import { recordActivity, type ActivityEntry } from '../activity/index.js';
import { assignLead } from '../assignment/index.js';
import { claimAgentsFor, releaseClaims, type ClaimedAgent } from '../assignment/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { recordEntryStages } from '../pipelines/index.js';
import { announceNewFollowUps } from './follow-up-changed.js';
import { insertOrFill, leadValues, type IngestSettings } from './ingest-lead.js';
import type { LeadContext } from './lead-context.js';
import type { LeadEvent } from './lead-events.js';
import { toLead, type LeadRow } from './lead.mapper.js';
import { insertNewLeads } from './lead.repository.js';
import type { IngestLeadInput } from './lead.schemas.js';
import type { LeadsTable } from './leads.tables.js';

/** One input's outcome: stored (new or duplicate) as `row`, or refused with the error (e.g. an invalid phone). */
export type BatchOutcome = { duplicate: boolean; row: LeadRow } | { error: unknown };

type LeadValues = Insertable<LeadsTable> & { phone: string };

/** An input with its normalised, scored column values, or the error that refused it. */
export type PreparedLead =
  { input: IngestLeadInput; values: LeadValues } | { input: IngestLeadInput; error: unknown };

/** Normalises and scores inputs (CPU only): done before a batch's transaction opens. */
export function prepareLeads(
  ctx: LeadContext,
  inputs: IngestLeadInput[],
  settings: IngestSettings,
): PreparedLead[] {
  return inputs.map((input) => {
    try {
      return { input, values: leadValues(ctx, input, settings.scoring, settings.entryStage) };
    } catch (error) {
      return { input, error };
    }
  });
}

/**
 * How a batch may overlap the batch opened before it (an import writes two at once): its new
 * leads are inserted while the other is still open, everything else waits for that one's commit.
 */
export interface BatchOverlap {
  /** Phones of the other batch: rows with one of them wait, or the two could wait on each other. */
  heldPhones: ReadonlySet<string>;
  /** Resolves when the other batch has committed; rejects if it failed, failing this one too. */
  previous: Promise<void>;
}

interface Pending {
  index: number;
  input: IngestLeadInput;
  values: LeadValues;
}

/**
 * Ingests many leads inside the caller's transaction with the same rules as `ingestLead`,
 * but agents are claimed for the new leads first (`claimAgentsFor`), so that one multi-row
 * statement inserts them with their owners, and another logs them. Inputs whose
 * phone already has a live lead, or repeats a phone of this batch, then go through the
 * single-lead path in input order, so a later row fills the empty fields of the earlier one.
 * With `overlap`, only the insert of new leads not to be assigned runs before the other
 * batch's commit: claims and fills lock rows (agents, existing leads) the other may hold.
 * The caller publishes `events` after its commit.
 */
export async function ingestLeadsWithin(
  trx: TenantDb,
  ctx: LeadContext,
  leads: PreparedLead[],
  settings: IngestSettings,
  overlap?: BatchOverlap,
): Promise<{ outcomes: BatchOutcome[]; events: LeadEvent[] }> {
  const outcomes: BatchOutcome[] = [];
  const fresh: Pending[] = [];
  const later: Pending[] = [];
  const seenPhones = new Set<string>();
  leads.forEach((lead, index) => {
    if ('error' in lead) {
      outcomes[index] = { error: lead.error };
      return;
    }
    const pending = { index, ...lead };
    const { phone } = lead.values;
    if (lead.input.assignedAgentId || seenPhones.has(phone) || overlap?.heldPhones.has(phone))
      later.push(pending);
    else fresh.push(pending);
    seenPhones.add(phone);
  });

  const routable = fresh.filter(({ input }) => input.assign !== false);
  if (routable.length > 0) await overlap?.previous;
  const { claims, previousOwners } = await claimAgentsFor(
    trx,
    ctx.handle,
    routable.map(({ values }) => ({
      phone: values.phone,
      state: values.state ?? null,
      city: values.city ?? null,
      source: values.source ?? null,
      language: values.language ?? null,
      tags: values.tags ?? [],
    })),
    settings.rules,
    ctx.actor,
  );
  const claimOf = new Map(routable.map((pending, i) => [pending, claims[i]]));
  const inserted =
    fresh.length === 0
      ? []
      : await insertNewLeads(
          trx,
          fresh.map((pending) => rowToInsert(pending, claimOf.get(pending))),
        );
  const insertedByPhone = new Map(inserted.map((row) => [row.phone, row]));

  const tenantId = ctx.handle.tenant.id;
  const events: LeadEvent[] = [];
  const emit = (names: LeadEvent['name'][], row: LeadRow) => {
    const lead = toLead(row, settings.scoring.hotThreshold);
    for (const name of names) events.push({ name, tenantId, lead });
  };
  const activities: ActivityEntry[] = [];
  const released: string[] = [];
  const unclaimed: LeadRow[] = [];
  for (const pending of fresh) {
    const row = insertedByPhone.get(pending.values.phone);
    const claim = claimOf.get(pending);
    if (!row) {
      if (claim) released.push(claim.agentId);
      later.push(pending);
      continue;
    }
    outcomes[pending.index] = { duplicate: false, row };
    activities.push({ leadId: row.id, kind: 'created', actor: ctx.actor, data: { source: row.source } });
    if (claim) {
      activities.push({ leadId: row.id, kind: 'assigned', ...claim.activity });
      emit(['lead.created', 'lead.assigned'], row);
    } else if (pending.input.assign === false) emit(['lead.created'], row);
    else unclaimed.push(row);
  }
  await recordActivity(trx, activities);
  await overlap?.previous;
  await releaseClaims(trx, ctx.handle, released);
  const indexOf = new Map(fresh.map((pending) => [pending.values.phone, pending.index]));
  for (const row of unclaimed) {
    const previousOwner = previousOwners.get(row.phone) ?? null;
    const { lead, decision } = await assignLead(trx, ctx.handle, row, settings.rules, ctx.actor, {
      previousOwner,
    });
    outcomes[indexOf.get(row.phone)!] = { duplicate: false, row: lead };
    emit(['lead.created', decision.agentId ? 'lead.assigned' : 'lead.unassigned'], lead);
  }
  // The new leads' first stage entries, one statement for the batch (a default lead pipeline only),
  // once they have their owners: the tasks the stage's templates make are theirs.
  if (settings.entryStage) {
    await recordEntryStages(
      trx,
      'lead',
      inserted.map((row) => row.id),
      ctx.actor,
    );
  }
  const created = fresh.flatMap(({ index }) => {
    const outcome = outcomes[index];
    return outcome && 'row' in outcome ? [outcome.row] : [];
  });
  await announceNewFollowUps(trx, ctx.actor, created);

  later.sort((a, b) => a.index - b.index);
  for (const { index, input, values } of later) {
    if (input.assignedAgentId) await assertAgentsExist(trx, input.assignedAgentId, 'body.assignedAgentId');
    const result = await insertOrFill(trx, ctx, values, input, settings);
    outcomes[index] = { duplicate: result.duplicate, row: result.row };
    emit(result.events, result.row);
  }
  return { outcomes, events };
}

/** The new lead's row: with the agent claimed for it, or marked as not to be assigned. */
function rowToInsert({ input, values }: Pending, claim: ClaimedAgent | undefined): Insertable<LeadsTable> {
  if (claim) return { ...values, assigned_agent_id: claim.agentId, assigned_at: new Date() };
  return input.assign === false ? { ...values, unassigned_reason: 'assignment_skipped' } : values;
}
