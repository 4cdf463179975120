// Working calendars and business time: pure functions, no database.
//
// A calendar's working time is a set of *wall-clock* moments in its time zone: on each local day
// that is not a holiday, the weekday's intervals (`[["10:00","19:00"]]`, "24:00" allowed as an
// end). An instant is working time when its local time (in the calendar's zone) falls in that
// set. The engine splits real time into pieces of constant UTC offset (luxon finds the offsets);
// within a piece, wall-clock time is real time shifted by the offset, so business time there is
// the length of (piece + offset) ∩ (wall-clock working set), computed one local day at a time
// (never minute by minute). A 10:00–19:00 day is therefore 9 h of real time, or 8 h / 10 h when a
// DST change falls inside it, and an interval across a "fall back" counts the repeated hour twice.
//
// Holidays: `YYYY-MM-DD` (that date) or `--MM-DD` (that date every year, ISO 8601's
// year-less form; `--02-29` only in leap years).
import { IANAZone } from 'luxon';

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export interface WorkingCalendar {
  /** IANA time zone, e.g. `Europe/London`. */
  timezone: string;
  /** Working intervals per weekday, `HH:MM` local wall-clock times, start < end, "24:00" allowed as an end. */
  intervals: Partial<Record<Weekday, [string, string][]>>;
  /** `YYYY-MM-DD` or recurring `--MM-DD`. */
  holidays: string[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** How far the engine searches for working time before giving up (a calendar with none). */
const MAX_DAYS_SEARCHED = 3_700;

interface Compiled {
  zone: IANAZone;
  /** Indexed by `dayIndex % 7` adjusted so 0 = Monday: [startMs, endMs] within the day. */
  byWeekday: [number, number][][];
  holidayDays: Set<number>;
  recurring: Set<string>;
  weeklyMs: number;
}

const compiledCache = new WeakMap<WorkingCalendar, Compiled>();

export function minutesOf(time: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) throw new RangeError(`not a HH:MM time: ${time}`);
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
    throw new RangeError(`not a HH:MM time: ${time}`);
  }
  return hours * 60 + minutes;
}

export const isoHoliday = /^(\d{4}|-)-(\d{2})-(\d{2})$/;

function compile(calendar: WorkingCalendar): Compiled {
  const cached = compiledCache.get(calendar);
  if (cached) return cached;
  const zone = IANAZone.create(calendar.timezone);
  if (!zone.isValid) throw new RangeError(`unknown time zone: ${calendar.timezone}`);
  const byWeekday = weekdays.map((day) =>
    (calendar.intervals[day] ?? [])
      .map(([start, end]): [number, number] => [minutesOf(start) * MINUTE, minutesOf(end) * MINUTE])
      .sort((a, b) => a[0] - b[0]),
  );
  const holidayDays = new Set<number>();
  const recurring = new Set<string>();
  for (const holiday of calendar.holidays) {
    const match = isoHoliday.exec(holiday);
    if (!match) throw new RangeError(`not a holiday date: ${holiday}`);
    if (match[1] === '-') recurring.add(`${match[2]}-${match[3]}`);
    else holidayDays.add(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY);
  }
  const weeklyMs = byWeekday.flat().reduce((sum, [start, end]) => sum + end - start, 0);
  const compiled = { zone, byWeekday, holidayDays, recurring, weeklyMs };
  compiledCache.set(calendar, compiled);
  return compiled;
}

/** The working intervals of a local day (day index on the wall-clock timeline), as wall ms. */
function workingOfDay(c: Compiled, day: number): [number, number][] {
  if (c.holidayDays.has(day)) return [];
  if (c.recurring.size > 0 && c.recurring.has(new Date(day * DAY).toISOString().slice(5, 10))) return [];
  // Day 0 (1970-01-01) was a Thursday: index 3 with Monday = 0.
  return c.byWeekday[(day + 3) % 7]!;
}

/** Working ms of the wall-clock set within [from, to). */
function wallMeasure(c: Compiled, from: number, to: number): number {
  let total = 0;
  for (let day = Math.floor(from / DAY); day * DAY < to; day++) {
    const base = day * DAY;
    for (const [start, end] of workingOfDay(c, day)) {
      const a = Math.max(base + start, from);
      const b = Math.min(base + end, to);
      if (b > a) total += b - a;
    }
  }
  return total;
}

/**
 * Walks the wall-clock set from `from` until `amount` ms of working time have passed, not beyond
 * `limit`: the wall moment reached, or how much is still missing at `limit`.
 */
function wallAdvance(
  c: Compiled,
  from: number,
  amount: number,
  limit: number,
): { at: number } | { missing: number } {
  let left = amount;
  for (let day = Math.floor(from / DAY); day * DAY < limit; day++) {
    const base = day * DAY;
    for (const [start, end] of workingOfDay(c, day)) {
      const a = Math.max(base + start, from);
      const b = Math.min(base + end, limit);
      if (b <= a) continue;
      if (b - a >= left) return { at: a + left };
      left -= b - a;
    }
  }
  return { missing: left };
}

/** Offset in ms at an instant. */
function offsetAt(zone: IANAZone, at: number): number {
  return zone.offset(at) * MINUTE;
}

/**
 * The end of the constant-offset piece starting at `at`: the next offset change, or at most a
 * week later (offset changes in the tz database are weeks apart, so a week-long probe cannot
 * miss a pair of them).
 */
function pieceEnd(zone: IANAZone, at: number, offset: number): number {
  let high = at + WEEK;
  if (offsetAt(zone, high) === offset) return high;
  let low = at;
  // Smallest instant with another offset: changes fall on whole seconds, search in seconds.
  while (high - low > 1000) {
    const mid = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetAt(zone, mid) === offset) low = mid;
    else high = mid;
  }
  return high;
}

/** The deadline: the first instant by which `durationMs` of working time has passed since `start`. */
export function addBusinessTime(calendar: WorkingCalendar, start: Date, durationMs: number): Date {
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new RangeError('durationMs must be ≥ 0');
  const c = compile(calendar);
  let at = start.getTime();
  if (durationMs === 0) return new Date(at);
  if (c.weeklyMs === 0) throw new RangeError('the calendar has no working time');
  let left = durationMs;
  const giveUp = at + MAX_DAYS_SEARCHED * DAY + Math.ceil(durationMs / c.weeklyMs) * WEEK * 2;
  while (at < giveUp) {
    const offset = offsetAt(c.zone, at);
    const end = pieceEnd(c.zone, at, offset);
    const step = wallAdvance(c, at + offset, left, end + offset);
    if ('at' in step) return new Date(step.at - offset);
    left = step.missing;
    at = end;
  }
  throw new RangeError('the calendar has no working time in reach (holidays every working day?)');
}

/** Working time in ms between two instants (negative when `b` is before `a`). */
export function businessTimeBetween(calendar: WorkingCalendar, a: Date, b: Date): number {
  if (b.getTime() < a.getTime()) return -businessTimeBetween(calendar, b, a);
  const c = compile(calendar);
  const stop = b.getTime();
  let total = 0;
  for (let at = a.getTime(); at < stop;) {
    const offset = offsetAt(c.zone, at);
    const end = Math.min(pieceEnd(c.zone, at, offset), stop);
    total += wallMeasure(c, at + offset, end + offset);
    at = end;
  }
  return total;
}
