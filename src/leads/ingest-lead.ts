import { assertAgentsExist } from '../agents/index.js';
import { everyLead } from '../auth/access.js';
import { sql, type Insertable } from 'kysely';
import { recordActivity } from '../activity/index.js';
import type { Actor } from '../auth/access.js';
import { assignLead, previousOwnerOf } from '../assignment/index.js';
import { activeAssignmentRules } from '../assignment/index.js';
import type { Rule } from '../assignment/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { defaultEntryStage, recordEntryStages, type EntryStage } from '../pipelines/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { scoreLead } from '../scoring/index.js';
import { loadScoringSettings, type ScoringSettings } from '../scoring/index.js';
import { announceNewFollowUps } from './follow-up-changed.js';
import { inLeadTransaction, type LeadContext } from './lead-context.js';
import type { LeadEvent } from './lead-events.js';
import { plainLeadFields, toLeadColumns } from './lead-fields.js';
import { toLead, type LeadRow } from './lead.mapper.js';
import { leadSelection, selectLeads } from './lead.repository.js';
import type { IngestLeadInput, Lead } from './lead.schemas.js';
import type { LeadsTable } from './leads.tables.js';

export interface IngestResult {
  lead: Lead;
  duplicate: boolean;
}

/** Fields a duplicate ingest may fill when the existing lead has them empty. */
const fillableFields = ['first_name', 'last_name', 'email', ...plainLeadFields, 'follow_up_at'] as const;

/**
 * What ingesting needs that does not change per lead: scoring weights, assignment rules, and the
 * stage new leads enter (the first of the tenant's default lead pipeline; null: none).
 */
export interface IngestSettings {
  scoring: ScoringSettings;
  rules: Rule[];
  entryStage?: EntryStage | null;
}

/** `db`: where a value not memoised yet is read (a caller inside a transaction passes it: PGlite has one connection). */
export async function loadIngestSettings(
  handle: TenantHandle,
  db: TenantDb = handle.db,
): Promise<IngestSettings> {
  const [scoring, rules, entryStage] = await Promise.all([
    loadScoringSettings(handle, db),
    activeAssignmentRules(handle, db),
    defaultEntryStage(handle, 'lead', db),
  ]);
  return { scoring, rules, entryStage };
}

/**
 * Ingests one lead. A phone that already has a live lead does not create a second one
 * (the partial unique index decides, race-free): the existing lead gets its empty fields
 * filled. A new lead is scored and, unless it names its owner, assigned by the engine in
 * the same transaction; if nobody can take it, it is kept unassigned with the reason.
 */
export async function ingestLead(
  ctx: LeadContext,
  input: IngestLeadInput,
  settings?: IngestSettings,
): Promise<IngestResult> {
  const loaded = settings ?? (await loadIngestSettings(ctx.handle));
  // Normalised (and the phone validated) before a transaction is opened.
  const values = leadValues(ctx, input, loaded.scoring, loaded.entryStage);
  if (input.assign === false && !input.assignedAgentId && !loaded.entryStage) {
    // Nothing follows the insert: one autocommitted statement, no transaction round trips.
    const row = await insertLogged(ctx.handle.db, rowToInsert(values, input), ctx.actor);
    if (row) {
      const { events, ...result } = withEvents(
        ctx,
        { row, duplicate: false, events: ['lead.created'] },
        loaded,
      );
      ctx.events.publish(events);
      return result;
    }
  }
  return inLeadTransaction(ctx, (trx) => ingestValues(trx, ctx, values, input, loaded));
}

/**
 * `ingestLead` inside the caller's transaction (the automations engine ingests in the
 * same transaction as its event record). The caller publishes `events` after its commit.
 */
export async function ingestLeadWithin(
  trx: TenantDb,
  ctx: LeadContext,
  input: IngestLeadInput,
  settings: IngestSettings,
): Promise<IngestResult & { events: LeadEvent[] }> {
  return ingestValues(
    trx,
    ctx,
    leadValues(ctx, input, settings.scoring, settings.entryStage),
    input,
    settings,
  );
}

/**
 * A new lead's columns. With an entry stage the lead is inserted in it (its history entry is
 * written with the insert) and takes the stage's status: the stage is the source of truth.
 */
export function leadValues(
  ctx: LeadContext,
  input: IngestLeadInput,
  scoring: ScoringSettings,
  entryStage?: EntryStage | null,
) {
  const columns = toLeadColumns(input, ctx.handle.tenant.defaultCountry);
  // `stage_entered_at` is the insert's `now()` (see `insertLogged`, `insertNewLeads`).
  const staged = entryStage ? { pipeline_id: entryStage.pipelineId, stage_id: entryStage.stageId } : {};
  return {
    ...columns,
    ...staged,
    phone: columns.phone!,
    status: (entryStage?.leadStatus as IngestLeadInput['status']) ?? input.status,
    score: scoreLead(
      {
        source: columns.source ?? null,
        company: columns.company ?? null,
        email: columns.email ?? null,
        tags: columns.tags ?? [],
      },
      scoring,
    ),
  } satisfies Insertable<LeadsTable>;
}

async function ingestValues(
  trx: TenantDb,
  ctx: LeadContext,
  values: Insertable<LeadsTable>,
  input: IngestLeadInput,
  settings: IngestSettings,
): Promise<IngestResult & { events: LeadEvent[] }> {
  if (input.assignedAgentId) await assertAgentsExist(trx, input.assignedAgentId, 'body.assignedAgentId');
  return withEvents(ctx, await insertOrFill(trx, ctx, values, input, settings), settings);
}

function withEvents(
  ctx: LeadContext,
  { row, duplicate, events }: { row: LeadRow; duplicate: boolean; events: LeadEvent['name'][] },
  settings: IngestSettings,
): IngestResult & { events: LeadEvent[] } {
  const lead = toLead(row, settings.scoring.hotThreshold);
  return {
    lead,
    duplicate,
    events: events.map((name) => ({ name, tenantId: ctx.handle.tenant.id, lead }) satisfies LeadEvent),
  };
}

/** Inserts the lead, or (its phone has a live lead) fills that lead's empty fields. */
export async function insertOrFill(
  trx: TenantDb,
  ctx: LeadContext,
  values: Insertable<LeadsTable>,
  input: IngestLeadInput,
  { scoring, rules }: IngestSettings,
): Promise<{ row: LeadRow; duplicate: boolean; events: LeadEvent['name'][] }> {
  for (;;) {
    const inserted = await insertLogged(trx, rowToInsert(values, input), ctx.actor);
    if (inserted) {
      const created = await createdLead(trx, ctx, inserted, input, rules);
      // The first stage's history entry (a default lead pipeline only), once the lead has its owner:
      // the tasks the stage's templates make are theirs.
      if (inserted.stage_id) await recordEntryStages(trx, 'lead', [inserted.id], ctx.actor);
      await announceNewFollowUps(trx, ctx.actor, [created.row]);
      return created;
    }
    const existing = await fillDuplicate(trx, ctx, values, scoring);
    // The live lead was archived between our insert and our lookup: insert again.
    if (existing) return existing;
  }
}

/** The new lead's row: with the owner the request names, or marked as not to be assigned. */
function rowToInsert(values: Insertable<LeadsTable>, input: IngestLeadInput): Insertable<LeadsTable> {
  if (input.assignedAgentId)
    return { ...values, assigned_agent_id: input.assignedAgentId, assigned_at: new Date() };
  return input.assign === false ? { ...values, unassigned_reason: 'assignment_skipped' } : values;
}

type InsertedRow = LeadRow & { previous_owner: string | null };

/**
 * Inserts the lead unless its phone has a live lead, logs `created` and looks up the
 * phone's previous owner for sticky assignment, in one statement (one round trip).
 */
async function insertLogged(
  trx: TenantDb,
  values: Insertable<LeadsTable>,
  actor: Actor,
): Promise<InsertedRow | undefined> {
  return trx
    .with('inserted', (db) =>
      db
        .insertInto('leads')
        .values(values.stage_id ? { ...values, stage_entered_at: sql<Date>`now()` } : values)
        .onConflict((oc) => oc.column('phone').where('archived_at', 'is', null).doNothing())
        .returningAll(),
    )
    .with('logged', (db) =>
      db
        .insertInto('lead_activities')
        .columns(['lead_id', 'kind', 'actor', 'actor_type', 'actor_id', 'data'])
        .expression((eb) =>
          eb
            .selectFrom('inserted')
            .select([
              'inserted.id',
              sql.lit('created').as('kind'),
              sql<string>`${actor.name}::text`.as('actor'),
              sql<Actor['type']>`${actor.type}::text`.as('actor_type'),
              sql<string | null>`${actor.id}::text`.as('actor_id'),
              sql<string>`jsonb_build_object('source', inserted.source)`.as('data'),
            ]),
        ),
    )
    .selectFrom('inserted')
    .selectAll()
    .select(() => previousOwnerOf(trx, sql<string>`inserted.phone`).as('previous_owner'))
    .select((eb) =>
      eb
        .selectFrom('agents')
        .select('agents.name')
        .whereRef('agents.id', '=', 'inserted.assigned_agent_id')
        .as('assigned_agent_name'),
    )
    .executeTakeFirst() as Promise<InsertedRow | undefined>;
}

/** Logs a manual owner, then assigns: the assignment comes last, as its agent locks last until commit. */
async function createdLead(
  trx: TenantDb,
  ctx: LeadContext,
  row: InsertedRow,
  input: IngestLeadInput,
  rules: Rule[],
): Promise<{ row: LeadRow; duplicate: false; events: LeadEvent['name'][] }> {
  const { handle, actor } = ctx;
  if (input.assignedAgentId) {
    const data = { agentId: input.assignedAgentId, manual: true };
    await recordActivity(trx, [{ leadId: row.id, kind: 'assigned', actor, data }]);
    return { row, duplicate: false, events: ['lead.created', 'lead.assigned'] };
  }
  if (input.assign === false) return { row, duplicate: false, events: ['lead.created'] };
  const { lead, decision } = await assignLead(trx, handle, row, rules, actor, {
    previousOwner: row.previous_owner,
  });
  const assigned = decision.agentId ? 'lead.assigned' : 'lead.unassigned';
  return { row: lead, duplicate: false, events: ['lead.created', assigned] };
}

async function fillDuplicate(
  trx: TenantDb,
  ctx: LeadContext,
  values: Insertable<LeadsTable>,
  scoring: ScoringSettings,
): Promise<{ row: LeadRow; duplicate: true; events: LeadEvent['name'][] } | undefined> {
  const existing = await selectLeads(trx, everyLead)
    .where('phone', '=', values.phone)
    .where('archived_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!existing) return undefined;

  const filled: Record<string, unknown> = {};
  for (const field of fillableFields) {
    if (existing[field] === null && values[field] !== undefined && values[field] !== null)
      filled[field] = values[field];
  }
  if (existing.tags.length === 0 && values.tags?.length) filled.tags = values.tags;
  const changed = Object.keys(filled).length > 0;
  let row = existing;
  if (changed) {
    const merged = { ...existing, ...filled } as LeadRow;
    const score = existing.score_manual ? existing.score : scoreLead(merged, scoring);
    row = await trx
      .updateTable('leads')
      .set({ ...filled, score, updated_at: new Date() })
      .where('id', '=', existing.id)
      .returning(leadSelection)
      .executeTakeFirstOrThrow();
    if (filled.follow_up_at) await announceNewFollowUps(trx, ctx.actor, [row]);
  }
  await recordActivity(trx, [
    { leadId: existing.id, kind: 'duplicate', actor: ctx.actor, data: { filled: Object.keys(filled) } },
  ]);
  return { row, duplicate: true, events: changed ? ['lead.updated'] : [] };
}
