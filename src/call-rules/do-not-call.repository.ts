import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { Actor } from '../auth/access.js';
import { actorColumns, actorFromColumns } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { recordActivity } from '../activity/index.js';
import { leadVisibleTo } from '../leads/index.js';
import type { DoNotCallSource } from './call-rules.tables.js';

export interface DoNotCallEntry {
  phone: string;
  reason: string | null;
  source: DoNotCallSource;
  addedBy: Actor;
  createdAt: string;
}

type DoNotCallRow = {
  phone: string;
  reason: string | null;
  source: DoNotCallSource;
  actor: string | null;
  actor_type: string | null;
  actor_id: string | null;
  created_at: Date;
};

export function toDoNotCallEntry(row: DoNotCallRow): DoNotCallEntry {
  return {
    phone: row.phone,
    reason: row.reason,
    source: row.source,
    addedBy: actorFromColumns(row.actor, row.actor_type, row.actor_id),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const keyset: Keyset = {
  list: 'do_not_call',
  columns: [
    ['do_not_call.created_at', 'timestamp'],
    ['do_not_call.phone', 'text'],
  ],
  direction: 'desc',
};

/**
 * The list's entries `visibility` reaches: every number, except one that belongs only to leads the
 * caller cannot see (a number of no lead is tenant data every reader sees).
 */
function selectVisible(db: TenantDb, visibility: Visibility) {
  const query = db.selectFrom('do_not_call').selectAll('do_not_call');
  if (visibility.all) return query;
  return query.where((eb) =>
    eb.or([
      eb.not(
        eb.exists(
          eb
            .selectFrom('leads')
            .select(sql`1`.as('one'))
            .whereRef('leads.phone', '=', 'do_not_call.phone'),
        ),
      ),
      eb.exists(
        eb
          .selectFrom('leads')
          .select(sql`1`.as('one'))
          .whereRef('leads.phone', '=', 'do_not_call.phone')
          .where(leadVisibleTo(visibility)),
      ),
    ]),
  );
}

/** The do-not-call list, newest first; `phone` filters on the digits (a leading `+` anchors at the start). */
export async function listDoNotCall(
  db: TenantDb,
  visibility: Visibility,
  query: { phone?: string; limit: number; cursor?: string },
): Promise<Page<DoNotCallEntry> & { total: number }> {
  let base = selectVisible(db, visibility);
  if (query.phone) {
    const digits = query.phone.replace(/\D/g, '');
    const anchored = query.phone.trim().startsWith('+');
    base = base.where('do_not_call.phone', 'like', anchored ? `+${digits}%` : `%${digits}%`);
  }
  return pageWithTotal(base, keyset, query, (row) => toDoNotCallEntry(row as DoNotCallRow));
}

/** The source an actor's addition is recorded with: a user's is `manual`, an API key's `api`. */
export const sourceOf = (actor: Actor): DoNotCallSource => (actor.type === 'api_key' ? 'api' : 'manual');

/**
 * Lists `phones` (E.164) once each: an already listed number keeps its entry (reason, source,
 * date). The leads with those numbers get their `doNotCall` flag (an activity entry each, when it
 * changes). Answers the numbers newly listed and the leads flagged.
 */
export async function insertDoNotCall(
  trx: TenantDb,
  phones: readonly string[],
  entry: { reason: string | null; source: DoNotCallSource; actor: Actor },
): Promise<{ added: string[]; flaggedLeadIds: string[] }> {
  const unique = [...new Set(phones)];
  if (unique.length === 0) return { added: [], flaggedLeadIds: [] };
  const added = await trx
    .insertInto('do_not_call')
    .values(
      unique.map((phone) => ({
        phone,
        reason: entry.reason,
        source: entry.source,
        ...actorColumns(entry.actor),
      })),
    )
    .onConflict((oc) => oc.column('phone').doNothing())
    .returning('phone')
    .execute();
  const flaggedLeadIds = await setLeadFlags(trx, unique, true, entry.actor);
  return { added: added.map((row) => row.phone), flaggedLeadIds };
}

/** Takes `phone` off the list and clears the flag of the leads with it; undefined when it was not listed. */
export async function deleteDoNotCall(
  trx: TenantDb,
  phone: string,
  actor: Actor,
): Promise<{ phone: string; clearedLeadIds: string[] } | undefined> {
  const removed = await trx
    .deleteFrom('do_not_call')
    .where('phone', '=', phone)
    .returning('phone')
    .executeTakeFirst();
  if (!removed) return undefined;
  return { phone, clearedLeadIds: await setLeadFlags(trx, [phone], false, actor) };
}

/** Sets `do_not_call` on the leads with these numbers where it differs, with an activity entry each. */
async function setLeadFlags(
  trx: TenantDb,
  phones: readonly string[],
  flag: boolean,
  actor: Actor,
): Promise<string[]> {
  const changed = await trx
    .updateTable('leads')
    .set({ do_not_call: flag, updated_at: new Date() })
    .where('phone', 'in', phones)
    .where('do_not_call', '=', !flag)
    .returning('id')
    .execute();
  await recordActivity(
    trx,
    changed.map((row) => ({
      leadId: row.id,
      kind: 'field_changed',
      actor,
      data: { field: 'doNotCall', from: !flag, to: flag },
    })),
  );
  return changed.map((row) => row.id);
}
