import type { Selectable } from 'kysely';
import { pageOf, type Keyset } from '../http/pagination.js';
import type { TenantDb } from '../db/tenant-database.js';
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

/** Soonest first. */
export async function listMeetings(
  db: TenantDb,
  filter: { leadId?: string; limit: number; cursor?: string },
) {
  let select = db.selectFrom('meetings').selectAll();
  if (filter.leadId) select = select.where('lead_id', '=', filter.leadId);
  return pageOf(select, meetingsKeyset, filter, toMeeting);
}

export async function findMeeting(db: TenantDb, id: string) {
  const row = await db.selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toMeeting(row);
}
