import { z } from 'zod';
import type { ApiRouter } from '../http/api-router.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { addBusinessTime, businessTimeBetween } from './business-time.js';
import {
  createCalendar,
  defaultCalendar,
  deleteCalendar,
  findCalendar,
  listCalendars,
  replaceCalendar,
  saveDefaultCalendar,
  workingCalendarOf,
} from './calendar.repository.js';
import {
  businessTimeQuery,
  businessTimeSchema,
  calendarIdParams,
  calendarInputSchema,
  calendarRefParams,
  calendarSchema,
  createCalendarSchema,
  deadlineQuery,
  deadlineSchema,
  durationMsOf,
} from './calendars.schemas.js';

const tag = 'Calendars';
const calendarRules =
  '`intervals`: per weekday (`mon`..`sun`) a list of `["HH:MM","HH:MM"]` wall-clock intervals in `timezone` (start < end, "24:00" allowed as an end, no overlaps, at least one in the week). `holidays`: `YYYY-MM-DD`, or `--MM-DD` for that date every year.';

export function registerCalendarRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calendars/default',
      tag,
      summary: "The tenant's default working calendar (built-in: its time zone, Mon–Sat 10:00–19:00)",
      response: calendarSchema,
      handler: ({ req }) => defaultCalendar(callerOf(req).handle),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/calendars/default',
      tag,
      summary: "Replace the tenant's default working calendar",
      description: calendarRules,
      body: calendarInputSchema,
      response: calendarSchema,
      handler: ({ req, body }) => saveDefaultCalendar(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calendars',
      tag,
      summary: 'The stored working calendars (the default one included once stored), oldest first',
      query: z.object({ ...pageQuery }),
      response: pageSchema(calendarSchema),
      handler: ({ req, query }) => listCalendars(callerOf(req).handle.db, query),
    })
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/calendars',
      tag,
      summary: 'Add a working calendar (optionally for a team)',
      description: calendarRules,
      body: createCalendarSchema,
      response: calendarSchema,
      handler: ({ req, body }) => createCalendar(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calendars/:id',
      tag,
      summary: 'Show a working calendar',
      params: calendarIdParams,
      response: calendarSchema,
      errors: { 404: 'No such calendar' },
      handler: ({ req, params }) => findCalendar(callerOf(req).handle, params.id),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/calendars/:id',
      tag,
      summary: 'Replace a working calendar',
      description: calendarRules,
      params: calendarIdParams,
      body: createCalendarSchema,
      response: calendarSchema,
      errors: { 404: 'No such calendar' },
      handler: ({ req, params, body }) => replaceCalendar(callerOf(req).handle, params.id, body),
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/calendars/:id',
      tag,
      summary: 'Delete a working calendar (deleting the default brings back the built-in one)',
      params: calendarIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such calendar' },
      handler: async ({ req, params }) => {
        await deleteCalendar(callerOf(req).handle, params.id);
        return { id: params.id, deleted: true as const };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calendars/:id/deadline',
      tag,
      summary:
        'The deadline: `duration` of working time after `start` (`default` as id: the default calendar)',
      description:
        '`duration`: ISO 8601 of weeks, days, hours, minutes, seconds (a day is 24 h of working time; years and months refused), at most P366D. The deadline is the first instant by which that much working time has passed.',
      params: calendarRefParams,
      query: deadlineQuery,
      response: deadlineSchema,
      errors: { 404: 'No such calendar' },
      handler: async ({ req, params, query }) => {
        const calendar = await findCalendar(callerOf(req).handle, params.id);
        const deadline = addBusinessTime(
          workingCalendarOf(calendar),
          new Date(query.start),
          durationMsOf(query.duration)!,
        );
        return { deadline: deadline.toISOString(), calendarId: calendar.id, timezone: calendar.timezone };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calendars/:id/business-time',
      tag,
      summary:
        'Working time between two instants in ms (negative when `to` is before `from`; at most 3,660 days apart)',
      params: calendarRefParams,
      query: businessTimeQuery,
      response: businessTimeSchema,
      errors: { 404: 'No such calendar' },
      handler: async ({ req, params, query }) => {
        const calendar = await findCalendar(callerOf(req).handle, params.id);
        const businessMs = businessTimeBetween(
          workingCalendarOf(calendar),
          new Date(query.from),
          new Date(query.to),
        );
        return { businessMs };
      },
    });
}
