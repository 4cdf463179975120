import { sql } from 'kysely';
import { Access, everyLead } from '../../auth/access.js';
import { systemActor } from '../../auth/actors.js';
import type { AppServices } from '../../app/services.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { ingestLeadWithin, loadIngestSettings, type IngestSettings } from '../../leads/index.js';
import type { LeadEvent } from '../../leads/index.js';
import { toLead } from '../../leads/index.js';
import { requireLeadRow, selectLeads } from '../../leads/index.js';
import type { IngestLeadInput, Lead } from '../../leads/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import { AutomationSession, SavepointNeeded, type SessionEvent } from './automation-session.js';
import type { EventResult } from './event.schemas.js';
import { activeAutomationRules } from '../rules/rule.repository.js';
import { internalActionTypes, type AutomationRule } from '../rules/rule.schemas.js';
import { tenantInstant } from './tenant-time.js';
import type { HeldLeadWrites } from './held-lead-writes.js';
import { runColumns, runRows } from '../runs/run.repository.js';

/** An event as the engine handles it, whatever fired it (API, CRM activity, cron). */
export interface EngineEvent {
  trigger: string;
  source: 'api' | 'internal' | 'cron';
  /** Idempotency key, namespaced by source (`api:<eventId>`); null for none. */
  key: string | null;
  clientEventId?: string | null;
  /** E.164 (already normalised). */
  phone?: string | null;
  leadId?: string | null;
  variables: Record<string, unknown>;
  /** Ingest the lead by phone (CRM dedupe and assignment) with these fields. */
  createLead?: Omit<IngestLeadInput, 'phone'> | null;
  /** Run this rule only (a scheduled reminder belongs to one rule). */
  onlyRuleId?: string;
}

/** What the engine uses of the services: its unit of work's queue and lead-event bus. */
export type EngineServices = Pick<AppServices, 'leadEvents' | 'queue' | 'servers'>;

/** Assignment rules and scoring (for the CRM use cases) and the active automation rules. */
export interface EngineSettings extends IngestSettings {
  automationRules: AutomationRule[];
}

/** `db`: where a value not memoised yet is read (a caller inside a transaction passes it: PGlite has one connection). */
export async function loadEngineSettings(
  handle: TenantHandle,
  db: TenantDb = handle.db,
): Promise<EngineSettings> {
  const [ingest, automationRules] = await Promise.all([
    loadIngestSettings(handle, db),
    activeAutomationRules(handle, db),
  ]);
  return { ...ingest, automationRules };
}

/** The session that runs the rules of `event` in `unit`, with the tenant's engine settings. */
export function engineSession(
  services: EngineServices,
  handle: TenantHandle,
  unit: TenantUnitOfWork<LeadEvent>,
  settings: EngineSettings,
  event: SessionEvent,
  lead: Lead | null,
  guarded = true,
  held?: HeldLeadWrites,
): AutomationSession {
  return new AutomationSession(
    {
      services,
      handle,
      unit,
      scoring: settings.scoring,
      assignmentRules: settings.rules,
      rules: settings.automationRules,
      guarded,
      held,
    },
    event,
    lead,
  );
}

/**
 * Lead changes made by the engine are cascaded inline; this transaction-local flag keeps
 * the outbox trigger (`automations/sql/automation_capture_lead_events.sql`) from capturing them a second time.
 */
export async function markEngineTransaction(trx: TenantDb): Promise<void> {
  await sql`select set_config('switchyard.automations_inline', 'on', true)`.execute(trx);
}

/**
 * Handles one event inside the caller's unit of work. The event row is inserted first with
 * INSERT ... ON CONFLICT DO NOTHING on its key: a concurrent duplicate waits on the unique
 * index until this transaction ends, then finds the row and replays the stored answer.
 */
export interface RunEventOptions {
  /** Every internal action in a savepoint (default); see `SessionDeps.guarded`. */
  guarded?: boolean;
}

export async function runEventWithin(
  unit: TenantUnitOfWork<LeadEvent>,
  services: EngineServices,
  handle: TenantHandle,
  settings: EngineSettings,
  event: EngineEvent,
  { guarded = true }: RunEventOptions = {},
): Promise<EventResult> {
  const { trx } = unit;
  // Marks the transaction (`markEngineTransaction`) in the same statement, one round trip less.
  const inserted = await trx
    .insertInto('automation_events')
    .columns(['event_key', 'trigger', 'source', 'phone', 'variables'])
    .expression(
      sql`select ${event.key}::text, ${event.trigger}::text, ${event.source}::text, ${event.phone ?? null}::text,
        ${JSON.stringify(event.variables)}::jsonb
        where set_config('switchyard.automations_inline', 'on', true) = 'on'`,
    )
    .onConflict((oc) => oc.column('event_key').where('event_key', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const first = await trx
      .selectFrom('automation_events')
      .select('result')
      .where('event_key', '=', event.key)
      .executeTakeFirstOrThrow();
    return { ...(first.result as EventResult), duplicate: true };
  }

  const ctx = {
    handle,
    actor: systemActor(`automation: ${event.trigger}`),
    access: Access.tenantWide(),
    events: services.leadEvents,
    services,
  };
  let lead: Lead | null = null;
  let ingested: { duplicate: boolean; events: LeadEvent[] } | undefined;
  if (event.createLead && event.phone) {
    const input = { ...event.createLead, phone: event.phone };
    const { lead: created, ...rest } = await ingestLeadWithin(trx, ctx, input, settings);
    lead = created;
    ingested = rest;
  } else if (event.leadId) {
    lead = toLead(await requireLeadRow(trx, everyLead, event.leadId), settings.scoring.hotThreshold);
  } else if (event.phone) {
    const row = await selectLeads(trx, everyLead)
      .where('phone', '=', event.phone)
      .where('archived_at', 'is', null)
      .executeTakeFirst();
    lead = row ? toLead(row, settings.scoring.hotThreshold) : null;
  }
  const session = engineSession(
    services,
    handle,
    unit,
    settings,
    { id: inserted.id, phone: event.phone ?? lead?.phone ?? null },
    lead,
    guarded,
  );
  // The lead came into being before the event happened to it: its own triggers go first.
  if (ingested) await session.fireLeadEvents(ingested.events, event.variables, 1);
  await session.fire(event.trigger, event.variables, 0, undefined, event.onlyRuleId);
  const remindersScheduled =
    event.source === 'api'
      ? await scheduleReminders(trx, handle, settings, inserted.id, event, session.lead)
      : [];

  const result = eventResult(inserted.id, event, session, ingested, remindersScheduled);
  await storeAnswers(trx, [{ result, session, leadId: lead?.id ?? null }]);
  return result;
}

/** The answer to an event (stored with it, replayed to its duplicates). */
export function eventResult(
  eventId: string,
  event: EngineEvent,
  session: AutomationSession,
  ingested: { duplicate: boolean } | undefined,
  remindersScheduled: { ruleId: string; fireAt: string }[],
): EventResult {
  const outcomes = session.runs.flatMap((run) =>
    run.outcomes.map((outcome) => ({ ...outcome, runId: run.id })),
  );
  return {
    eventId,
    clientEventId: event.clientEventId ?? null,
    trigger: event.trigger,
    duplicate: false,
    lead: session.lead as Record<string, unknown> | null,
    leadCreated: ingested !== undefined && !ingested.duplicate,
    matchedRules: session.runs.map((run) => ({
      runId: run.id,
      ruleId: run.ruleId,
      ruleName: run.ruleName,
      trigger: run.trigger,
      depth: run.depth,
      status: run.status,
    })),
    actionsApplied: outcomes.filter(
      (outcome) => outcome.status === 'applied' && internalActionTypes.has(outcome.type),
    ),
    failedActions: outcomes.filter((outcome) => outcome.status === 'failed'),
    jobs: session.jobs,
    cascadeCut: session.cut,
    remindersScheduled,
  };
}

/** An event's answer to store: with its session's runs and the lead it found or created (null for none). */
export interface EventAnswer {
  result: EventResult;
  session: AutomationSession;
  leadId: string | null;
}

/** The events' runs, their leads and their answers, in one statement for any number of events. */
export async function storeAnswers(trx: TenantDb, answers: EventAnswer[]): Promise<void> {
  const stored = answers.map(({ result, leadId }) => ({ id: result.eventId, result, leadId }));
  await trx
    .with('runs', (db) =>
      db
        .insertInto('automation_runs')
        .columns(runColumns)
        .expression(
          runRows(
            answers.map(({ session }) => ({ runs: session.startedRuns(), leadId: session.lead?.id ?? null })),
          ),
        ),
    )
    .updateTable('automation_events')
    .from(sql<{ a: unknown }>`jsonb_array_elements(${JSON.stringify(stored)}::jsonb)`.as('a'))
    .set({
      result: sql`a -> 'result'`,
      lead_id: sql`coalesce((a ->> 'leadId')::uuid, automation_events.lead_id)`,
    })
    .where('automation_events.id', '=', sql<string>`(a ->> 'id')::uuid`)
    .execute();
}

/**
 * An event carrying an appointment time schedules each active `appointment_reminder`
 * rule's reminder (N minutes before); the reminders cron fires them when due.
 */
export async function scheduleReminders(
  trx: TenantDb,
  handle: TenantHandle,
  settings: EngineSettings,
  eventId: string,
  event: EngineEvent,
  lead: Lead | null,
): Promise<{ ruleId: string; fireAt: string }[]> {
  const scheduled: { ruleId: string; fireAt: string }[] = [];
  for (const rule of settings.automationRules) {
    if (rule.trigger !== 'appointment_reminder' || event.trigger === 'appointment_reminder') continue;
    const value = event.variables[rule.appointmentTimeVariable ?? 'appointmentAt'];
    if (typeof value !== 'string') continue;
    const at = await tenantInstant(trx, value, handle.tenant.timezone);
    if (!at) continue;
    const fireAt = new Date(at.getTime() - (rule.reminderMinutesBefore ?? 0) * 60_000);
    if (fireAt.getTime() <= Date.now()) continue;
    await trx
      .insertInto('automation_reminders')
      .values({
        rule_id: rule.id,
        source_event_id: eventId,
        lead_id: lead?.id ?? null,
        phone: event.phone ?? lead?.phone ?? null,
        variables: JSON.stringify(event.variables),
        fire_at: fireAt,
      })
      .onConflict((oc) => oc.columns(['rule_id', 'source_event_id']).doNothing())
      .execute();
    scheduled.push({ ruleId: rule.id, fireAt: fireAt.toISOString() });
  }
  return scheduled;
}

/**
 * Handles one event in its own unit of work (lead events published after its commit).
 * `guarded: false` (the API) runs internal actions without savepoints where they allow it;
 * if a database error inside one of them aborts the transaction (`SavepointNeeded`: a guarded
 * run would have recorded it as that action's failure), the attempt is rolled back whole and
 * the event runs again with every action in its savepoint, so the outcome is a guarded run's.
 */
export async function handleEvent(
  services: EngineServices,
  handle: TenantHandle,
  event: EngineEvent,
  settings?: EngineSettings,
  { guarded = true }: RunEventOptions = {},
): Promise<EventResult> {
  const loaded = settings ?? (await loadEngineSettings(handle));
  // A deadlock aborts the whole transaction, event row included: running it again is safe.
  const attempt = (options: RunEventOptions) =>
    inTenantTransaction(services, handle, (unit) =>
      runEventWithin(unit, services, handle, loaded, event, options),
    );
  if (guarded) return attempt({ guarded: true });
  try {
    return await attempt({ guarded: false });
  } catch (error) {
    if (!(error instanceof SavepointNeeded)) throw error;
    return attempt({ guarded: true });
  }
}
