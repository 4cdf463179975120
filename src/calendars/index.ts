// The calendars component's public surface: other folders import from here only.
export { addBusinessTime, businessTimeBetween, weekdays } from './business-time.js';
export type { Weekday, WorkingCalendar } from './business-time.js';
export {
  calendarForAgent,
  defaultCalendar,
  findCalendar,
  loadCalendars,
  workingCalendarOf,
} from './calendar.repository.js';
export { businessDurationInput, durationMsOf } from './calendars.schemas.js';
export type { Calendar } from './calendars.schemas.js';
