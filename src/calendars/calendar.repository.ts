import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';
import type { WorkingCalendar } from './business-time.js';
import type { CalendarsTable } from './calendars.tables.js';
import type { Calendar, calendarInputSchema, createCalendarSchema } from './calendars.schemas.js';

type CalendarInput = z.infer<typeof calendarInputSchema>;
type CreateCalendar = z.infer<typeof createCalendarSchema>;

const memoKey = 'calendars';

/** The default when the tenant stored none: its time zone, Monday–Saturday 10:00–19:00. */
export function builtInDefault(timezone: string): Calendar {
  const day: [string, string][] = [['10:00', '19:00']];
  return {
    id: null,
    name: 'Default',
    teamId: null,
    timezone,
    intervals: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day },
    holidays: [],
    isDefault: true,
  };
}

function toCalendar(row: Selectable<CalendarsTable>): Calendar {
  return {
    id: row.id,
    name: row.name,
    teamId: row.team_id,
    timezone: row.timezone,
    intervals: row.intervals,
    holidays: row.holidays,
    isDefault: row.is_default,
  };
}

/**
 * The tenant's calendars, memoised per process (deadlines read them often, writes are rare). `db`:
 * where they are read when not memoised (a caller inside a transaction passes it: PGlite has one connection).
 */
export function loadCalendars(handle: TenantHandle, db: TenantDb = handle.db): Promise<Calendar[]> {
  return handle.memo.get(memoKey, async () =>
    (await db.selectFrom('calendars').selectAll().orderBy('created_at').orderBy('id').execute()).map(
      toCalendar,
    ),
  );
}

const calendarsKeyset: Keyset = {
  list: 'calendars',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** The stored calendars, oldest first, a page at a time (the one list style). */
export function listCalendars(
  db: TenantDb,
  page: { limit: number; cursor?: string },
): Promise<Page<Calendar>> {
  return pageOf(db.selectFrom('calendars').selectAll(), calendarsKeyset, page, toCalendar);
}

export async function defaultCalendar(handle: TenantHandle, db: TenantDb = handle.db): Promise<Calendar> {
  return (await loadCalendars(handle, db)).find((c) => c.isDefault) ?? builtInDefault(handle.tenant.timezone);
}

export async function findCalendar(
  handle: TenantHandle,
  id: string,
  db: TenantDb = handle.db,
): Promise<Calendar> {
  if (id === 'default') return defaultCalendar(handle, db);
  const found = (await loadCalendars(handle, db)).find((c) => c.id === id);
  if (!found) throw new AppError('not_found', 'No such calendar');
  return found;
}

/** The engine's view of a stored calendar. */
export function workingCalendarOf(calendar: Calendar): WorkingCalendar {
  return { timezone: calendar.timezone, intervals: calendar.intervals, holidays: calendar.holidays };
}

async function requireTeam(db: TenantDb, teamId: string | null): Promise<void> {
  if (teamId === null) return;
  const team = await db.selectFrom('teams').select('id').where('id', '=', teamId).executeTakeFirst();
  if (!team) {
    throw AppError.invalidFields([{ path: 'body.teamId', message: 'No such team' }]);
  }
}

async function changed(handle: TenantHandle, db: TenantDb): Promise<void> {
  await forgetTenantValue(db, handle, memoKey);
}

export async function saveDefaultCalendar(handle: TenantHandle, input: CalendarInput): Promise<Calendar> {
  const values = {
    timezone: input.timezone,
    intervals: JSON.stringify(input.intervals),
    holidays: input.holidays,
  };
  const row = await handle.db.transaction().execute(async (db) => {
    const current = await db
      .selectFrom('calendars')
      .select('id')
      .where('is_default', '=', true)
      .forUpdate()
      .executeTakeFirst();
    const saved = current
      ? await db
          .updateTable('calendars')
          .set({ ...values, updated_at: sql<Date>`now()` })
          .where('id', '=', current.id)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await db
          .insertInto('calendars')
          .values({ ...values, name: 'Default', is_default: true })
          .onConflict((oc) =>
            oc
              .column('is_default')
              .where('is_default', '=', true)
              .doUpdateSet({ ...values, updated_at: sql<Date>`now()` }),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
    await changed(handle, db);
    return saved;
  });
  return toCalendar(row);
}

export async function createCalendar(handle: TenantHandle, input: CreateCalendar): Promise<Calendar> {
  const row = await handle.db.transaction().execute(async (db) => {
    await requireTeam(db, input.teamId);
    const saved = await db
      .insertInto('calendars')
      .values({
        name: input.name,
        team_id: input.teamId,
        timezone: input.timezone,
        intervals: JSON.stringify(input.intervals),
        holidays: input.holidays,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await changed(handle, db);
    return saved;
  });
  return toCalendar(row);
}

export async function replaceCalendar(
  handle: TenantHandle,
  id: string,
  input: CreateCalendar,
): Promise<Calendar> {
  const row = await handle.db.transaction().execute(async (db) => {
    await requireTeam(db, input.teamId);
    const saved = await db
      .updateTable('calendars')
      .set({
        name: input.name,
        team_id: input.teamId,
        timezone: input.timezone,
        intervals: JSON.stringify(input.intervals),
        holidays: input.holidays,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!saved) throw new AppError('not_found', 'No such calendar');
    await changed(handle, db);
    return saved;
  });
  return toCalendar(row);
}

export async function deleteCalendar(handle: TenantHandle, id: string): Promise<void> {
  await handle.db.transaction().execute(async (db) => {
    const gone = await db.deleteFrom('calendars').where('id', '=', id).returning('id').executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'No such calendar');
    await changed(handle, db);
  });
}

/**
 * The calendar an agent's time runs on: the calendar of a team the agent's user belongs to (the
 * oldest such calendar), else the tenant's default. `agentId` null: the default.
 */
export async function calendarForAgent(
  handle: TenantHandle,
  agentId: string | null,
  db: TenantDb = handle.db,
): Promise<Calendar> {
  const calendars = await loadCalendars(handle, db);
  if (agentId && calendars.some((c) => c.teamId !== null)) {
    const teams = await db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select('team_members.team_id')
      .where('users.agent_id', '=', agentId)
      .execute();
    const teamIds = new Set(teams.map((t) => t.team_id));
    const ofTeam = calendars.find((c) => c.teamId !== null && teamIds.has(c.teamId));
    if (ofTeam) return ofTeam;
  }
  return calendars.find((c) => c.isDefault) ?? builtInDefault(handle.tenant.timezone);
}
