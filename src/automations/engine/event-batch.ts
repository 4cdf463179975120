import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Access, everyLead } from '../../auth/access.js';
import { systemActor } from '../../auth/actors.js';
import type { BatchItemOutcome } from '../../db/group-commit.js';
import { ingestLeadsWithin, prepareLeads, selectLeads, toLead } from '../../leads/index.js';
import type { LeadEvent, LeadRow, PreparedLead } from '../../leads/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import type { EventResult } from './event.schemas.js';
import {
  engineSession,
  eventResult,
  scheduleReminders,
  storeAnswers,
  type EngineEvent,
  type EngineServices,
  type EngineSettings,
  type EventAnswer,
} from './handle-event.js';
import { HeldLeadWrites } from './held-lead-writes.js';

/** An event of the batch with its lead's input prepared (normalised and scored) before anything is written. */
interface Prepared {
  index: number;
  event: EngineEvent;
  lead?: PreparedLead;
}

/**
 * Many events of one tenant and one trigger in one transaction (`EventIntake`'s group commit),
 * each with the outcome it would have had alone (`runEventWithin`), in a few statements for the
 * whole batch: the event rows in one insert, their leads through the CRM's batch ingest (one
 * multi-row insert, agents claimed together), the rules run in memory over the leads (their
 * changes and notes held, `HeldLeadWrites`, and written once), then every run and answer in one
 * statement. Events found by lead id are not batched (`EventIntake`). Events of one phone or one
 * event key go in successive waves, so each wave touches a lead once and sees what the wave
 * before it wrote, as events run one after another would. An event whose lead input is refused
 * gets its own error and writes nothing; any other failure fails the batch, whose events then
 * run alone.
 */
export async function runEventBatch(
  unit: TenantUnitOfWork<LeadEvent>,
  services: EngineServices,
  handle: TenantHandle,
  settings: EngineSettings,
  events: EngineEvent[],
): Promise<BatchItemOutcome<EventResult>[]> {
  const ctx = {
    handle,
    actor: systemActor(`automation: ${events[0]!.trigger}`),
    access: Access.tenantWide(),
    events: services.leadEvents,
    services,
  };
  const outcomes: BatchItemOutcome<EventResult>[] = [];
  const waves: Prepared[][] = [];
  const seen = new Map<string, number>();
  events.forEach((event, index) => {
    const [lead] =
      event.createLead && event.phone
        ? prepareLeads(ctx, [{ ...event.createLead, phone: event.phone }], settings)
        : [undefined];
    if (lead && 'error' in lead) {
      outcomes[index] = { error: lead.error };
      return;
    }
    const keys = [event.phone && `phone:${event.phone}`, event.key && `key:${event.key}`].filter(
      (key): key is string => Boolean(key),
    );
    const wave = Math.max(0, ...keys.map((key) => seen.get(key) ?? 0));
    for (const key of keys) seen.set(key, wave + 1);
    (waves[wave] ??= []).push({ index, event, lead });
  });
  for (const wave of waves) {
    for (const [index, result] of await runWave(unit, services, handle, settings, ctx, wave)) {
      outcomes[index] = { ok: result };
    }
  }
  return outcomes;
}

async function runWave(
  unit: TenantUnitOfWork<LeadEvent>,
  services: EngineServices,
  handle: TenantHandle,
  settings: EngineSettings,
  ctx: Parameters<typeof ingestLeadsWithin>[1],
  wave: Prepared[],
): Promise<Map<number, EventResult>> {
  const { trx } = unit;
  const results = new Map<number, EventResult>();
  const ids = wave.map(() => randomUUID());
  const rows = wave.map(({ event }, i) => ({
    id: ids[i],
    event_key: event.key,
    trigger: event.trigger,
    source: event.source,
    phone: event.phone ?? null,
    variables: event.variables,
  }));
  // Marks the transaction as the engine's (`markEngineTransaction`) in the same statement.
  const inserted = await trx
    .insertInto('automation_events')
    .columns(['id', 'event_key', 'trigger', 'source', 'phone', 'variables'])
    .expression(
      sql`select id, event_key, trigger, source, phone, variables
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as e (id uuid, event_key text, trigger text, source text, phone text, variables jsonb)
        where set_config('switchyard.automations_inline', 'on', true) = 'on'`,
    )
    .onConflict((oc) => oc.column('event_key').where('event_key', 'is not', null).doNothing())
    .returning('id')
    .execute();
  const insertedIds = new Set(inserted.map((row) => row.id));
  const live = wave
    .map((prepared, i) => ({ ...prepared, id: ids[i]! }))
    .filter(({ id }) => insertedIds.has(id));
  const replayed = wave.filter((_, i) => !insertedIds.has(ids[i]!));
  if (replayed.length > 0) {
    const stored = await trx
      .selectFrom('automation_events')
      .select(['event_key', 'result'])
      .where(
        'event_key',
        'in',
        replayed.map(({ event }) => event.key!),
      )
      .execute();
    const byKey = new Map(stored.map((row) => [row.event_key, row.result as EventResult]));
    for (const { index, event } of replayed)
      results.set(index, { ...byKey.get(event.key)!, duplicate: true });
  }
  if (live.length === 0) return results;

  const held = new HeldLeadWrites(handle.schema);
  const creating = live.filter(({ lead }) => lead !== undefined);
  const ingest = await ingestLeadsWithin(
    trx,
    ctx,
    creating.map(({ lead }) => lead!),
    settings,
  );
  const ingested = new Map<number, { row: LeadRow; duplicate: boolean }>();
  creating.forEach(({ index }, i) => {
    const outcome = ingest.outcomes[i]!;
    if ('error' in outcome) throw outcome.error;
    ingested.set(index, outcome);
  });
  const lookedUp = live.filter(({ lead, event }) => lead === undefined && event.phone);
  const found = new Map<string, LeadRow>();
  if (lookedUp.length > 0) {
    const rows = await selectLeads(trx, everyLead)
      .where(
        'phone',
        'in',
        lookedUp.map(({ event }) => event.phone!),
      )
      .where('archived_at', 'is', null)
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const row of rows) found.set(row.phone, row);
  }

  const answers: EventAnswer[] = [];
  for (const { index, id, event } of live) {
    const created = ingested.get(index);
    const row = created?.row ?? (event.phone ? found.get(event.phone) : undefined);
    if (row) held.track(row);
    const lead = row ? toLead(row, settings.scoring.hotThreshold) : null;
    const session = engineSession(
      services,
      handle,
      unit,
      settings,
      { id, phone: event.phone ?? lead?.phone ?? null },
      lead,
      false,
      held,
    );
    if (created) {
      const own = ingest.events.filter((leadEvent) => leadEvent.lead.id === created.row.id);
      await session.fireLeadEvents(own, event.variables, 1);
    }
    await session.fire(event.trigger, event.variables, 0);
    const reminders = await scheduleReminders(trx, handle, settings, id, event, session.lead);
    const result = eventResult(id, event, session, created, reminders);
    answers.push({ result, session, leadId: lead?.id ?? null });
    results.set(index, result);
  }
  await held.write(trx);
  await storeAnswers(trx, answers);
  return results;
}
