import type { Selectable } from 'kysely';
import { pageOf, type Keyset } from '../http/pagination.js';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { leadIdVisibleTo } from '../leads/index.js';
import type { MeetingsTable } from './meetings.tables.js';

export function toMeeting(row: Selectable<MeetingsTable>) {
  return {
    id: row.id,
    leadId: row.lead_id,
    title: row.title,
    start: row.start_at,
    end: row.end_at,
    attendees: row.attendees,
    status: row.status,
    hangoutLink: row.hangout_link,
    entryPoints: row.entry_points,
    calendarEventId: row.calendar_event_id,
    htmlLink: row.html_link,
    error: row.error,
    createdAt: row.created_at,
  };
}

const meetingsKeyset: Keyset = {
  list: 'meetings',
  columns: [
    ['start_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** Soonest first; those whose lead `visibility` sees (a meeting of no lead: scope `all` only). */
export async function listMeetings(
  db: TenantDb,
  filter: { leadId?: string; limit: number; cursor?: string },
  visibility: Visibility,
) {
  let select = db.selectFrom('meetings').selectAll().where(leadIdVisibleTo(visibility, 'meetings.lead_id'));
  if (filter.leadId) select = select.where('lead_id', '=', filter.leadId);
  return pageOf(select, meetingsKeyset, filter, toMeeting);
}

export async function findMeeting(db: TenantDb, id: string, visibility: Visibility) {
  const row = await db
    .selectFrom('meetings')
    .selectAll()
    .where('id', '=', id)
    .where(leadIdVisibleTo(visibility, 'meetings.lead_id'))
    .executeTakeFirst();
  return row && toMeeting(row);
}
