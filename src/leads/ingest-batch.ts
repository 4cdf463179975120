import type { Insertable } from 'kysely';
import { recordActivity } from '../activity/activity.repository.js';
import { assignLeads } from '../assignment/batch-assignment.js';
import type { TenantDb } from '../db/tenant-database.js';
import { insertOrFill, leadValues, type IngestSettings } from './ingest-lead.js';
import type { LeadContext } from './lead-context.js';
import type { LeadEvent } from './lead-events.js';
import { toLead, type LeadRow } from './lead.mapper.js';
import { assertAgentExists } from './lead.repository.js';
import type { IngestLeadInput } from './lead.schemas.js';
import type { LeadsTable } from './leads.tables.js';

/** One input's outcome: stored (new or duplicate) as `row`, or refused with the error (e.g. an invalid phone). */
export type BatchOutcome = { duplicate: boolean; row: LeadRow } | { error: unknown };

interface Pending {
  index: number;
  input: IngestLeadInput;
  values: Insertable<LeadsTable> & { phone: string };
}

/**
 * Ingests many leads inside the caller's transaction with the same rules as `ingestLead`,
 * but new leads are inserted by one multi-row statement and logged by another. Inputs whose
 * phone already has a live lead, or repeats a phone of this batch, then go through the
 * single-lead path in input order, so a later row fills the empty fields of the earlier one.
 * New leads are assigned together (`assignLeads`: race-free as for one lead). The caller
 * publishes `events` after its commit.
 */
export async function ingestLeadsWithin(
  trx: TenantDb,
  ctx: LeadContext,
  inputs: IngestLeadInput[],
  settings: IngestSettings,
): Promise<{ outcomes: BatchOutcome[]; events: LeadEvent[] }> {
  const outcomes: BatchOutcome[] = [];
  const fresh: Pending[] = [];
  const later: Pending[] = [];
  const seenPhones = new Set<string>();
  inputs.forEach((input, index) => {
    let values: Pending['values'];
    try {
      values = leadValues(ctx, input, settings.scoring);
    } catch (error) {
      outcomes[index] = { error };
      return;
    }
    const pending = { index, input, values };
    if (input.assignedAgentId || seenPhones.has(values.phone)) later.push(pending);
    else fresh.push(pending);
    seenPhones.add(values.phone);
  });

  const inserted =
    fresh.length === 0
      ? []
      : await trx
          .insertInto('leads')
          .values(
            fresh.map(({ input, values }) =>
              input.assign === false ? { ...values, unassigned_reason: 'assignment_skipped' } : values,
            ),
          )
          .onConflict((oc) => oc.column('phone').where('archived_at', 'is', null).doNothing())
          .returningAll()
          .execute();
  const insertedByPhone = new Map(inserted.map((row) => [row.phone, row]));
  await recordActivity(
    trx,
    inserted.map((row) => ({
      leadId: row.id,
      kind: 'created',
      actor: ctx.actor,
      data: { source: row.source },
    })),
  );

  const tenantId = ctx.handle.tenant.id;
  const events: LeadEvent[] = [];
  const emit = (names: LeadEvent['name'][], row: LeadRow) => {
    const lead = toLead(row, settings.scoring.hotThreshold);
    for (const name of names) events.push({ name, tenantId, lead });
  };
  const toAssign: LeadRow[] = [];
  for (const pending of fresh) {
    const row = insertedByPhone.get(pending.values.phone);
    if (!row) {
      later.push(pending);
      continue;
    }
    outcomes[pending.index] = { duplicate: false, row };
    if (pending.input.assign === false) emit(['lead.created'], row);
    else toAssign.push(row);
  }
  const assignments = await assignLeads(trx, ctx.handle, toAssign, settings.rules, ctx.actor);
  const indexOf = new Map(fresh.map((pending) => [pending.values.phone, pending.index]));
  for (const { lead, decision } of assignments) {
    outcomes[indexOf.get(lead.phone)!] = { duplicate: false, row: lead };
    emit(['lead.created', decision.agentId ? 'lead.assigned' : 'lead.unassigned'], lead);
  }

  later.sort((a, b) => a.index - b.index);
  for (const { index, input, values } of later) {
    if (input.assignedAgentId) await assertAgentExists(trx, input.assignedAgentId, 'assignedAgentId');
    const result = await insertOrFill(trx, ctx, values, input, settings);
    outcomes[index] = { duplicate: result.duplicate, row: result.row };
    emit(result.events, result.row);
  }
  return { outcomes, events };
}
