import { Duration } from 'luxon';
import { z } from 'zod';
import { isoHoliday, minutesOf, weekdays, type Weekday } from './business-time.js';

const time = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a HH:MM time (00:00–24:00)');
/** Minutes of a time, NaN when it is not one (refinements run even after the regex failed). */
function minutesOrNaN(value: string): number {
  try {
    return minutesOf(value);
  } catch {
    return Number.NaN;
  }
}

const interval = z
  .tuple([time, time])
  .refine(([start, end]) => !(minutesOrNaN(start) >= minutesOrNaN(end)), 'the start must be before the end');

export const intervalsSchema = z
  .object(
    Object.fromEntries(weekdays.map((day) => [day, z.array(interval).max(12).optional()])) as Record<
      Weekday,
      z.ZodOptional<z.ZodArray<typeof interval>>
    >,
  )
  .superRefine((week, ctx) => {
    let any = false;
    for (const day of weekdays) {
      const sorted = [...(week[day] ?? [])].sort((a, b) => minutesOrNaN(a[0]) - minutesOrNaN(b[0]));
      if (sorted.length > 0) any = true;
      for (let i = 1; i < sorted.length; i++) {
        if (minutesOrNaN(sorted[i]![0]) < minutesOrNaN(sorted[i - 1]![1])) {
          ctx.addIssue({ code: 'custom', path: [day], message: 'intervals of a day must not overlap' });
          break;
        }
      }
    }
    if (!any) ctx.addIssue({ code: 'custom', message: 'at least one working interval in the week' });
  });

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

const holiday = z
  .string()
  .regex(isoHoliday, 'YYYY-MM-DD, or --MM-DD for every year')
  .refine((value) => {
    const match = isoHoliday.exec(value);
    if (!match) return true; // the regex already refused it
    const [, year, month, day] = match;
    // A recurring date is checked against a leap year, so --02-29 is allowed.
    const date = new Date(Date.UTC(year === '-' ? 2024 : Number(year), Number(month) - 1, Number(day)));
    return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
  }, 'not a calendar date');

export const calendarInputSchema = z.object({
  timezone: z.string().max(64).refine(isValidTimeZone, 'not an IANA time zone'),
  intervals: intervalsSchema,
  holidays: z.array(holiday).max(1000).default([]),
});

export const createCalendarSchema = calendarInputSchema.extend({
  name: z.string().trim().min(1).max(120),
  teamId: z.uuid().nullable().default(null),
});

export const calendarSchema = z.object({
  /** Null for the built-in default (nothing stored yet). */
  id: z.uuid().nullable(),
  name: z.string(),
  teamId: z.uuid().nullable(),
  timezone: z.string(),
  intervals: z.record(z.string(), z.array(z.tuple([z.string(), z.string()]))),
  holidays: z.array(z.string()),
  isDefault: z.boolean(),
});
export type Calendar = z.infer<typeof calendarSchema>;

export const calendarIdParams = z.object({ id: z.uuid() });
export const calendarRefParams = z.object({ id: z.union([z.literal('default'), z.uuid()]) });

/** Longest duration a deadline may ask for (keeps the walk bounded). */
const maxDurationMs = 366 * 86_400_000;

/**
 * ISO 8601 durations of fixed length: weeks, days (24 h of working time each), hours, minutes,
 * seconds. Years and months have no fixed length and are refused.
 */
export function durationMsOf(text: string): number | undefined {
  if (!/^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(text)) return undefined;
  const duration = Duration.fromISO(text);
  if (!duration.isValid) return undefined;
  const ms = duration.as('milliseconds');
  return Number.isFinite(ms) && ms >= 0 && ms <= maxDurationMs ? Math.round(ms) : undefined;
}

const instant = z.iso.datetime({ offset: true });

/** An input field holding a business-time duration (ISO 8601, as `durationMsOf` reads it). */
export const businessDurationInput = ({ zero = false } = {}) =>
  z
    .string()
    .max(40)
    .refine(
      (value) => (durationMsOf(value) ?? -1) > (zero ? -1 : 0),
      `an ISO 8601 duration of weeks, days, hours, minutes, seconds (e.g. PT2H, P1DT4H)${zero ? '' : ', above zero'}, at most P366D`,
    );

export const deadlineQuery = z.object({
  start: instant,
  duration: businessDurationInput({ zero: true }),
});
export const deadlineSchema = z.object({
  deadline: z.string(),
  calendarId: z.uuid().nullable(),
  timezone: z.string(),
});

/** Longest span business-time measures (keeps the walk bounded). */
const maxSpanMs = 3_660 * 86_400_000;

export const businessTimeQuery = z
  .object({ from: instant, to: instant })
  .refine(({ from, to }) => Math.abs(Date.parse(to) - Date.parse(from)) <= maxSpanMs, {
    path: ['to'],
    message: 'at most 3,660 days from `from`',
  });
export const businessTimeSchema = z.object({ businessMs: z.number().int() });
