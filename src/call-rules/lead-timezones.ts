import { timezones as phoneTimezones } from 'libphonenumber-geo-carrier';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { DateTime, IANAZone } from 'luxon';
import { minutesOfClock, type CallingHours } from './call-settings.js';

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
const dayMs = 86_400_000;
/** Offset changes are looked for at this step (no zone changes its offset twice within it), then bisected. */
const offsetStepMs = 6 * 3_600_000;
/** How far `nextCallingInstant` looks ahead. */
export const callingSearchDays = 8;

const quarterMs = 15 * minuteMs;
const offsetMemo = new Map<string, Map<number, number>>();
let memoSize = 0;

/**
 * The UTC offset of `zone` at `at`, in minutes, memoised per quarter hour: today's offsets and the
 * local times of their changes are whole quarter hours, so a change falls on a quarter hour of UTC
 * and the offset at the quarter's start holds for all of it. (Intl is slow; the dialer asks often.)
 */
function offsetOf(zone: string, at: number): number {
  const quarter = Math.floor(at / quarterMs);
  let byQuarter = offsetMemo.get(zone);
  if (!byQuarter) offsetMemo.set(zone, (byQuarter = new Map()));
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    if (memoSize >= 200_000) {
      offsetMemo.clear();
      memoSize = 0;
      offsetMemo.set(zone, byQuarter);
      byQuarter.clear();
    }
    offset = IANAZone.create(zone).offset(quarter * quarterMs);
    byQuarter.set(quarter, offset);
    memoSize++;
  }
  return offset;
}

/** Minutes since local midnight (with the seconds as a fraction) of `at` in `zone`. */
function localMinutes(zone: string, at: number): number {
  const local = at + offsetOf(zone, at) * minuteMs;
  return (((local % dayMs) + dayMs) % dayMs) / minuteMs;
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
 * The instants in [from, to] at which `zone`'s local clock may open the window: the local `start`
 * of each day (under either offset in force around it), and each UTC-offset change (a DST jump can
 * move the clock into the window, or over the start).
 */
function openingCandidates(zone: string, startMinutes: number, from: number, to: number): number[] {
  const candidates: number[] = [];
  const push = (at: number) => {
    if (at >= from && at <= to) candidates.push(at);
  };
  // Local days as UTC day numbers of the wall clock, from the day before `from` to the day after `to`.
  const firstDay = Math.floor((from + offsetOf(zone, from) * minuteMs) / dayMs) - 1;
  const lastDay = Math.floor((to + offsetOf(zone, to) * minuteMs) / dayMs) + 1;
  for (let day = firstDay; day <= lastDay; day++) {
    const wall = day * dayMs + startMinutes * minuteMs;
    const before = offsetOf(zone, wall - dayMs / 2);
    const after = offsetOf(zone, wall + dayMs / 2);
    push(wall - before * minuteMs);
    if (after !== before) push(wall - after * minuteMs);
  }
  let previous = from;
  let previousOffset = offsetOf(zone, previous);
  for (let at = from + offsetStepMs; previous < to; at = Math.min(at + offsetStepMs, to)) {
    const offset = offsetOf(zone, at);
    if (offset !== previousOffset) {
      let low = previous;
      let high = at;
      while (high - low > minuteMs) {
        const middle = low + Math.max(minuteMs, Math.floor((high - low) / 2 / minuteMs) * minuteMs);
        if (middle >= high) break;
        if (offsetOf(zone, middle) === previousOffset) low = middle;
        else high = middle;
      }
      push(Math.ceil(high / minuteMs) * minuteMs);
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
