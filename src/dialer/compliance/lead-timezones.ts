import { timezones as phoneTimezones } from 'libphonenumber-geo-carrier';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { DateTime, IANAZone } from 'luxon';
import { minutesOfClock, type CallingHours } from '../call-settings.js';

/**
 * The timezones a lead may be in, from its phone number's region (libphonenumber's timezone
 * metadata through `libphonenumber-geo-carrier`): one zone for most numbers (+1 415 → Los
 * Angeles), several when the number's region spans zones (a toll-free or mobile range, a whole
 * country). Zones Luxon/Intl does not know (libphonenumber's `Etc/Unknown`) are dropped; none left,
 * or no valid number: the tenant's timezone.
 */
export async function leadTimezones(phoneE164: string, tenantTimezone: string): Promise<string[]> {
  const parsed = parsePhoneNumberFromString(phoneE164);
  const zones = parsed ? ((await phoneTimezones(parsed)) ?? []) : [];
  const known = [...new Set(zones.filter((zone) => IANAZone.isValidZone(zone)))];
  return known.length > 0 ? known : [tenantTimezone];
}

const minuteMs = 60_000;
const hourMs = 3_600_000;
/** How far `nextCallingInstant` looks ahead. */
export const callingSearchDays = 8;

/** Minutes since local midnight (with the seconds as a fraction) of `at` in `zone`. */
function localMinutes(zone: string, at: number): number {
  const local = DateTime.fromMillis(at, { zone });
  return local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
}

function openAt(timezones: readonly string[], start: number, end: number, at: number): boolean {
  if (timezones.length === 0) return false;
  for (const zone of timezones) {
    const minutes = localMinutes(zone, at);
    if (minutes < start || minutes >= end) return false;
  }
  return true;
}

/**
 * Whether a call may be placed at `at`: the local time is within [start, end) in EVERY candidate
 * zone (a number whose region spans zones is called only when it is calling hours in all of them).
 * No zone: never.
 */
export function callingWindowOpen(timezones: readonly string[], hours: CallingHours, at: Date): boolean {
  return openAt(timezones, minutesOfClock(hours.start), minutesOfClock(hours.end), at.getTime());
}

/**
 * The instants in [from, to] at which some zone's local clock opens the window: the local `start`
 * of each day, and each UTC-offset change (a DST jump can move the clock into the window).
 */
function openingCandidates(zone: string, startMinutes: number, from: number, to: number): number[] {
  const candidates: number[] = [];
  let day = DateTime.fromMillis(from, { zone }).startOf('day').minus({ days: 1 });
  const lastDay = DateTime.fromMillis(to, { zone }).startOf('day').plus({ days: 1 });
  while (day <= lastDay) {
    const at = day.plus({ minutes: startMinutes }).toMillis();
    // Luxon resolves a wall time in a spring-forward gap forwards; the exact instant is refined below.
    if (at >= from && at <= to) candidates.push(at);
    const wall = DateTime.fromObject(
      {
        year: day.year,
        month: day.month,
        day: day.day,
        hour: Math.floor(startMinutes / 60) % 24,
        minute: startMinutes % 60,
      },
      { zone },
    ).toMillis();
    if (wall >= from && wall <= to) candidates.push(wall);
    day = day.plus({ days: 1 });
  }
  // Offset changes: sampled hourly, then bisected to the minute.
  let previous = Math.floor(from / hourMs) * hourMs;
  let previousOffset = DateTime.fromMillis(previous, { zone }).offset;
  for (let at = previous + hourMs; at <= to + hourMs; at += hourMs) {
    const offset = DateTime.fromMillis(at, { zone }).offset;
    if (offset !== previousOffset) {
      let low = previous;
      let high = at;
      while (high - low > minuteMs) {
        const middle = low + Math.floor((high - low) / 2 / minuteMs) * minuteMs;
        if (DateTime.fromMillis(middle, { zone }).offset === previousOffset) low = middle;
        else high = middle;
      }
      if (high >= from && high <= to) candidates.push(high);
    }
    previous = at;
    previousOffset = offset;
  }
  return candidates;
}

/**
 * The earliest instant ≥ `from` at which `callingWindowOpen` holds (`from` itself when open),
 * within `callingSearchDays` days; null when the window never opens in that span (zones too far
 * apart for their windows to overlap, or no zone). Handles DST: the window opens where the last of
 * the zones' local windows opens (their local start, or a clock change into the window), so only
 * those instants are tried, each moved back to the first open minute before it when a
 * spring-forward gap swallowed the start.
 */
export function nextCallingInstant(
  timezones: readonly string[],
  hours: CallingHours,
  from: Date,
): Date | null {
  const start = minutesOfClock(hours.start);
  const end = minutesOfClock(hours.end);
  const begin = from.getTime();
  if (timezones.length === 0 || start >= end) return null;
  if (openAt(timezones, start, end, begin)) return from;
  const limit = begin + callingSearchDays * 86_400_000;
  const candidates = [
    ...new Set(timezones.flatMap((zone) => openingCandidates(zone, start, begin, limit))),
  ].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (!openAt(timezones, start, end, candidate)) continue;
    // Back to the first open minute (a gap or a rounding may have put the candidate late).
    let at = candidate;
    for (let step = 0; step < 180; step++) {
      const before = Math.ceil((at - minuteMs) / minuteMs) * minuteMs;
      if (before <= begin || !openAt(timezones, start, end, before)) break;
      at = before;
    }
    return new Date(at);
  }
  return null;
}

/**
 * The latest next local midnight after `at` across the zones: the instant from which `at`'s
 * calendar day is over in every candidate zone (the daily attempt cap's reset).
 */
export function nextLocalMidnight(timezones: readonly string[], at: Date): Date {
  return new Date(
    Math.max(
      ...timezones.map((zone) =>
        DateTime.fromJSDate(at, { zone }).startOf('day').plus({ days: 1 }).toMillis(),
      ),
    ),
  );
}

/**
 * The earliest local midnight at or before `at` across the zones: the start of "today" for the
 * daily attempt cap (the widest today of the candidate zones, so no zone's day sees more calls).
 */
export function localDayStart(timezones: readonly string[], at: Date): Date {
  return new Date(
    Math.min(...timezones.map((zone) => DateTime.fromJSDate(at, { zone }).startOf('day').toMillis())),
  );
}
