import { sql, type ExpressionBuilder, type Insertable } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDatabase, TenantDb } from '../db/tenant-database.js';
import { plainLeadFields } from './lead-fields.js';
import { leadVisibleTo } from './lead-visibility.js';
import type { LeadRow } from './lead.mapper.js';
import type { LeadsTable } from './leads.tables.js';

const leadColumns = [
  'id',
  'number',
  'first_name',
  'last_name',
  'phone',
  'email',
  ...plainLeadFields,
  'status',
  'tags',
  'score',
  'score_manual',
  'follow_up_at',
  'custom_fields',
  'assigned_agent_id',
  'assigned_at',
  'unassigned_reason',
  'contact_id',
  'pipeline_id',
  'stage_id',
  'stage_entered_at',
  'archived_at',
  'created_at',
  'updated_at',
  'last_activity_at',
  'do_not_call',
  'call_status',
  'call_attempts',
  'calls_answered',
  'calls_missed',
  'calls_not_connected',
  'calls_switched_off',
  'last_contact_at',
  'call_disposition',
  'call_disposition_reason',
] as const;

/**
 * The lead's columns and its assigned agent's name, read in the same statement: a lookup by the
 * agents' primary key beside each returned row (no query per lead). Works in a select and in the
 * `returning` of an insert or update of `leads`.
 */
export const leadSelection = (eb: ExpressionBuilder<TenantDatabase, 'leads'>) => [
  ...leadColumns,
  eb
    .selectFrom('agents')
    .select('agents.name')
    .whereRef('agents.id', '=', 'leads.assigned_agent_id')
    .as('assigned_agent_name'),
];

/**
 * The columns a new lead is written with: the type each is read as from the JSON recordset,
 * and, where a key may be absent (read as null), the table's default spelled out.
 * `custom_fields` arrives as JSON text, as Kysely writes it.
 */
const newLeadColumns: [column: keyof LeadsTable, type: string, selected?: string][] = [
  ['first_name', 'text'],
  ['last_name', 'text'],
  ['phone', 'text'],
  ['email', 'text'],
  ...plainLeadFields.map((column) => [column, 'text'] as [keyof LeadsTable, string]),
  ['status', 'text', `coalesce(status, 'new')`],
  ['tags', 'text[]', `coalesce(tags, '{}')`],
  ['score', 'int', 'coalesce(score, 0)'],
  ['follow_up_at', 'timestamptz'],
  ['custom_fields', 'text', `coalesce(custom_fields::jsonb, '{}')`],
  ['assigned_agent_id', 'uuid'],
  ['assigned_at', 'timestamptz'],
  ['unassigned_reason', 'text'],
];
/** With an entry stage (a tenant's default lead pipeline): the stage, entered at the insert's `now()`. */
const stagedNewLeadColumns: typeof newLeadColumns = [
  ...newLeadColumns,
  ['pipeline_id', 'uuid'],
  ['stage_id', 'uuid'],
  ['stage_entered_at', 'timestamptz', 'case when stage_id is null then null else now() end'],
];
const statementParts = (columns: typeof newLeadColumns) => ({
  columns: columns.map(([column]) => column),
  selected: sql.raw(columns.map(([column, , selected]) => selected ?? column).join(', ')),
  recordset: sql.raw(columns.map(([column, type]) => `${column} ${type}`).join(', ')),
});
const plainInsert = statementParts(newLeadColumns);
const stagedInsert = statementParts(stagedNewLeadColumns);

/**
 * Inserts many new leads, skipping those whose phone already has a live lead, and returns
 * the inserted rows. The rows travel as one JSON parameter, so the statement's text is the
 * same for any number of leads: Postgres parses and plans a few columns, not hundreds of
 * parameters (2.6 ms of Postgres CPU per batch of ~20 leads with a VALUES list).
 */
export async function insertNewLeads(db: TenantDb, rows: Insertable<LeadsTable>[]): Promise<LeadRow[]> {
  // The stage columns only when leads enter a stage: a tenant without a lead pipeline sends the same statement as before.
  const parts = rows.some((row) => row.stage_id) ? stagedInsert : plainInsert;
  return db
    .insertInto('leads')
    .columns(parts.columns)
    .expression(
      sql`select ${parts.selected}
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r (${parts.recordset})`,
    )
    .onConflict((oc) => oc.column('phone').where('archived_at', 'is', null).doNothing())
    .returning(leadSelection)
    .execute();
}

/**
 * The leads `visibility` reaches, with their columns. The visibility is required: a route passes
 * its caller's (`callerOf(req).access.visibility(…)`), a job or automation `everyLead`, so no
 * read of leads can forget the filter (ARCHITECTURE.md "Visibility").
 */
export function selectLeads(db: TenantDb, visibility: Visibility) {
  return db.selectFrom('leads').select(leadSelection).where(leadVisibleTo(visibility));
}

/**
 * A lead by uuid or by reference (`LD-100001`) among those `visibility` reaches, optionally
 * locked for update; undefined when absent or invisible (the same answer: ids do not leak).
 */
export async function findLeadRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow | undefined> {
  const ref = /^LD-(\d+)$/i.exec(idOrRef);
  let query = ref
    ? selectLeads(db, visibility).where('number', '=', Number(ref[1]))
    : selectLeads(db, visibility).where('id', '=', idOrRef);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The highest lead reference number given so far (0 before the first lead). */
export async function lastLeadNumber(db: TenantDb): Promise<number> {
  const row = await db
    .selectFrom('leads')
    .select((eb) => eb.fn.max('number').as('last'))
    .executeTakeFirstOrThrow();
  return Number(row.last ?? 0);
}
