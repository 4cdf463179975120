import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../http/app-error.js';
import { isoDateTimeInput } from '../http/input-contract.js';

/** A half-open interval of instants: from ≤ t < to. */
export interface Period {
  from: Date;
  to: Date;
}

/** The period asked for and the one of the same length immediately before it. */
export interface Periods {
  current: Period;
  previous: Period;
}

export const relativePeriods = ['today', '7d', '30d', 'this_month', 'last_month', 'this_quarter'] as const;
export type RelativePeriod = (typeof relativePeriods)[number];

/** The longest period a dashboard answers for (and as long again for the previous one). */
const maxPeriodDays = 400;

export const periodQuery = {
  from: isoDateTimeInput().optional().meta({ description: 'Start of the period (inclusive), with `to`' }),
  to: isoDateTimeInput().optional().meta({ description: 'End of the period (exclusive), with `from`' }),
  period: z.enum(relativePeriods).optional().meta({
    description:
      "Instead of from/to, in the tenant's timezone: today, 7d / 30d (the last 7 / 30 × 24 h up to now), this_month, last_month, this_quarter (whole calendar periods). Default 30d",
  }),
};

export const periodSchema = z.object({ from: z.date(), to: z.date() });

/** The [from, to) of a relative period at `now` in `timezone`. */
function relativePeriod(name: RelativePeriod, now: Date, timezone: string): Period {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const span = (start: DateTime, end: DateTime): Period => ({ from: start.toJSDate(), to: end.toJSDate() });
  switch (name) {
    case 'today':
      return span(local.startOf('day'), local.startOf('day').plus({ days: 1 }));
    case '7d':
      return { from: new Date(now.getTime() - 7 * 86_400_000), to: now };
    case '30d':
      return { from: new Date(now.getTime() - 30 * 86_400_000), to: now };
    case 'this_month':
      return span(local.startOf('month'), local.startOf('month').plus({ months: 1 }));
    case 'last_month':
      return span(local.startOf('month').minus({ months: 1 }), local.startOf('month'));
    case 'this_quarter':
      return span(local.startOf('quarter'), local.startOf('quarter').plus({ quarters: 1 }));
  }
}

/**
 * The periods of a dashboard query: `from` + `to`, or `period` (default `30d`); the previous
 * period has the same length and ends where the asked one starts. A 400 for half a range, both
 * styles at once, an empty or reversed range, or one longer than `maxPeriodDays`.
 */
export function resolvePeriods(
  query: { from?: Date | undefined; to?: Date | undefined; period?: RelativePeriod | undefined },
  timezone: string,
  now = new Date(),
): Periods {
  const issues: { path: string; message: string }[] = [];
  if (query.period && (query.from || query.to)) {
    issues.push({ path: 'query.period', message: 'Give either period or from/to, not both' });
  } else if (!query.from !== !query.to) {
    issues.push({ path: query.from ? 'query.to' : 'query.from', message: 'from and to go together' });
  } else if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
    issues.push({ path: 'query.to', message: 'to must be after from' });
  } else if (
    query.from &&
    query.to &&
    query.to.getTime() - query.from.getTime() > maxPeriodDays * 86_400_000
  ) {
    issues.push({ path: 'query.to', message: `A period spans at most ${maxPeriodDays} days` });
  }
  if (issues.length > 0) throw AppError.invalidFields(issues);
  const current =
    query.from && query.to
      ? { from: query.from, to: query.to }
      : relativePeriod(query.period ?? '30d', now, timezone);
  const length = current.to.getTime() - current.from.getTime();
  return { current, previous: { from: new Date(current.from.getTime() - length), to: current.from } };
}
