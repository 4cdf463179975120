import { sql, type Insertable, type Selectable } from 'kysely';
import { pageOf, type Keyset } from '../http/pagination.js';
import type { Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { ActorType, LeadNotesTable } from './activity.tables.js';

export interface ActivityEntry {
  leadId: string;
  kind: string;
  actor: Actor | null;
  data?: Record<string, unknown>;
}

/**
 * The rows of `entries` as a query, for an `insert into lead_activities (lead_id, kind, actor,
 * data)` of the caller's own statement: a change that also writes its lead logs in the same
 * statement (and sets `last_activity_at` itself), one round trip and one row version fewer.
 */
export function activityRows(entries: ActivityEntry[]) {
  const records = entries.map((entry) => ({
    lead_id: entry.leadId,
    kind: entry.kind,
    ...actorColumns(entry.actor),
    data: entry.data ?? {},
  }));
  return sql`select lead_id, kind, actor, actor_type, actor_id, data
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb)
      as r (lead_id uuid, kind text, actor text, actor_type text, actor_id text, data jsonb)`;
}

/** The columns `activityRows` fills, in its order. */
export const activityColumns = ['lead_id', 'kind', 'actor', 'actor_type', 'actor_id', 'data'] as const;

/**
 * One statement whose text does not grow with the number of entries (see `insertNewLeads`); it
 * also sets each lead's `last_activity_at` (the list's `lastActivityAt` sort key) to the time of
 * this transaction, unless the transaction already did: a lead inserted or updated with it in this
 * transaction is not written again (an update would write every index of `leads` once more).
 */
export async function recordActivity(db: TenantDb, entries: ActivityEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .with('added', (qb) =>
      qb
        .insertInto('lead_activities')
        .columns([...activityColumns])
        .expression(activityRows(entries))
        .returning(['lead_id']),
    )
    .updateTable('leads')
    .from((qb) => qb.selectFrom('added').select('added.lead_id').distinct().as('touched'))
    .set({ last_activity_at: sql<Date>`now()` })
    .whereRef('leads.id', '=', 'touched.lead_id')
    .where((eb) =>
      eb.or([eb('leads.last_activity_at', 'is', null), eb('leads.last_activity_at', '<', sql<Date>`now()`)]),
    )
    .execute();
}

type NoteRow = Selectable<LeadNotesTable>;

/**
 * The actor of a timeline entry or note: `{ type, id, name }`; `type` and `id` are null on
 * entries written before actors were recorded (their `name` is the old display name).
 */
export function actorOf(name: string | null, type: ActorType | null, id: string | null) {
  if (name === null && type === null) return null;
  return { type, id, name: name ?? '' };
}

function toNote(row: NoteRow) {
  return {
    id: row.id,
    leadId: row.lead_id,
    body: row.body,
    author: row.author,
    authorActor: actorOf(row.author, row.author_type, row.author_id),
    createdAt: row.created_at,
  };
}

/** A note counts as activity: it moves the lead's `last_activity_at` too. */
export async function insertNote(db: TenantDb, note: Insertable<LeadNotesTable>) {
  const row = await db.insertInto('lead_notes').values(note).returningAll().executeTakeFirstOrThrow();
  await db
    .updateTable('leads')
    .set({ last_activity_at: sql<Date>`now()` })
    .where('id', '=', row.lead_id)
    .where((eb) => eb.or([eb('last_activity_at', 'is', null), eb('last_activity_at', '<', sql<Date>`now()`)]))
    .execute();
  return toNote(row);
}

const notesKeyset: Keyset = {
  list: 'notes',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first. */
export async function listNotes(db: TenantDb, leadId: string, page: { limit: number; cursor?: string }) {
  const query = db.selectFrom('lead_notes').selectAll().where('lead_id', '=', leadId);
  return pageOf(query, notesKeyset, page, toNote);
}

/** Activities by id (`seq`), notes (`seq` 0) by their uuid (`uid`). */
const timelineKeyset: Keyset = {
  list: 'timeline',
  columns: [
    ['t.created_at', 'timestamp'],
    ['t.seq', 'bigint'],
    ['t.uid', 'uuid'],
  ],
  direction: 'asc',
};
const noUuid = '00000000-0000-0000-0000-000000000000';

/** The lead's activities and notes in one list, oldest first. */
export async function listTimeline(db: TenantDb, leadId: string, page: { limit: number; cursor?: string }) {
  const activities = db
    .selectFrom('lead_activities')
    .select([
      sql<'activity' | 'note'>`'activity'`.as('type'),
      'kind',
      'actor',
      'actor_type',
      'actor_id',
      'data',
      'created_at',
      sql<number>`id`.as('seq'),
      sql<string>`${noUuid}::uuid`.as('uid'),
    ])
    .where('lead_id', '=', leadId);
  const notes = db
    .selectFrom('lead_notes')
    .select([
      sql<'activity' | 'note'>`'note'`.as('type'),
      sql<string>`'note'`.as('kind'),
      'author as actor',
      'author_type as actor_type',
      'author_id as actor_id',
      sql<Record<string, unknown>>`jsonb_build_object('noteId', id, 'body', body)`.as('data'),
      'created_at',
      sql<number>`0::bigint`.as('seq'),
      'id as uid',
    ])
    .where('lead_id', '=', leadId);
  const query = db.selectFrom(activities.unionAll(notes).as('t')).selectAll('t');
  return pageOf(query, timelineKeyset, page, (row) => ({
    type: row.type,
    kind: row.kind,
    actor: actorOf(row.actor, row.actor_type, row.actor_id),
    data: row.data,
    createdAt: row.created_at,
  }));
}
