import { describe, expect, it } from 'vitest';
import { addBusinessTime, businessTimeBetween, type WorkingCalendar } from './business-time.js';

const H = 3_600_000;
const M = 60_000;
const day: [string, string][] = [['10:00', '19:00']];
const london: WorkingCalendar = {
  timezone: 'Europe/London',
  intervals: { mon: day, tue: day, wed: day, thu: day, fri: day },
  holidays: ['2026-12-28', '--12-25'],
};
const at = (iso: string) => new Date(iso);
const deadline = (c: WorkingCalendar, start: string, ms: number) =>
  addBusinessTime(c, at(start), ms).toISOString();

describe('addBusinessTime and businessTimeBetween', () => {
  it('counts from the start when it is inside working hours', () => {
    // Tuesday 2026-01-06 12:00 London (GMT).
    expect(deadline(london, '2026-01-06T12:00:00Z', 2 * H)).toBe('2026-01-06T14:00:00.000Z');
  });

  it('starts at the next opening when the start is outside hours, skipping the weekend', () => {
    expect(deadline(london, '2026-01-09T20:00:00Z', 1 * H)).toBe('2026-01-12T11:00:00.000Z');
    expect(deadline(london, '2026-01-06T07:00:00Z', 30 * M)).toBe('2026-01-06T10:30:00.000Z');
  });

  it('ends exactly at a closing time rather than at the next opening', () => {
    expect(deadline(london, '2026-01-06T18:00:00Z', 1 * H)).toBe('2026-01-06T19:00:00.000Z');
    expect(deadline(london, '2026-01-06T19:00:00Z', 1 * M)).toBe('2026-01-07T10:01:00.000Z');
  });

  it('answers the start itself for a zero duration, working time or not', () => {
    expect(deadline(london, '2026-01-10T03:00:00Z', 0)).toBe('2026-01-10T03:00:00.000Z');
  });

  it('skips dated and every-year holidays', () => {
    // Thu 2026-12-24 18:00 + 2 h: Fri 25th (recurring), weekend, Mon 28th (dated) → Tue 29th 11:00.
    expect(deadline(london, '2026-12-24T18:00:00Z', 2 * H)).toBe('2026-12-29T11:00:00.000Z');
    // Starting on a holiday.
    expect(deadline(london, '2027-12-25T12:00:00Z', H)).toBe('2027-12-27T11:00:00.000Z');
    expect(businessTimeBetween(london, at('2026-12-24T00:00:00Z'), at('2026-12-30T00:00:00Z'))).toBe(18 * H);
  });

  it('handles split shifts', () => {
    const split: WorkingCalendar = {
      timezone: 'Asia/Kolkata',
      intervals: {
        mon: [
          ['09:00', '13:00'],
          ['14:00', '18:00'],
        ],
      },
      holidays: [],
    };
    // Monday 2026-01-05 12:00 IST = 06:30Z; 2 h → 1 h before lunch, 1 h after: 15:00 IST.
    expect(deadline(split, '2026-01-05T06:30:00Z', 2 * H)).toBe('2026-01-05T09:30:00.000Z');
    expect(businessTimeBetween(split, at('2026-01-05T00:00:00Z'), at('2026-01-06T00:00:00Z'))).toBe(8 * H);
  });

  it('keeps a working day 9 h on a DST day when the change is outside it', () => {
    const ny: WorkingCalendar = { timezone: 'America/New_York', intervals: { sun: day }, holidays: [] };
    // 2026-03-08: the clocks go forward at 02:00; 10:00 EDT = 14:00Z.
    expect(deadline(ny, '2026-03-08T05:00:00Z', 9 * H)).toBe('2026-03-08T23:00:00.000Z');
    expect(businessTimeBetween(ny, at('2026-03-08T00:00:00Z'), at('2026-03-09T12:00:00Z'))).toBe(9 * H);
  });

  it('counts the real length of an interval that spans a DST change', () => {
    const night: [string, string][] = [['00:00', '06:00']];
    const ny: WorkingCalendar = { timezone: 'America/New_York', intervals: { sun: night }, holidays: [] };
    // Spring forward (2026-03-08): 00:00–06:00 local is 5 h of real time.
    expect(businessTimeBetween(ny, at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'))).toBe(5 * H);
    // Fall back (2026-11-01): 7 h, the repeated hour counting twice.
    expect(businessTimeBetween(ny, at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z'))).toBe(7 * H);
    // 3 h after 00:00 EDT (04:00Z) on the fall-back night: 02:00 EST = 07:00Z.
    expect(deadline(ny, '2026-11-01T04:00:00Z', 3 * H)).toBe('2026-11-01T07:00:00.000Z');
  });

  it('accepts 24:00 as an end and joins it with the next day', () => {
    const allWeekend: WorkingCalendar = {
      timezone: 'UTC',
      intervals: { sat: [['00:00', '24:00']], sun: [['00:00', '24:00']] },
      holidays: [],
    };
    expect(deadline(allWeekend, '2026-01-03T23:00:00Z', 2 * H)).toBe('2026-01-04T01:00:00.000Z');
  });

  it('is negative when the second instant is earlier, and refuses a calendar without working time', () => {
    expect(businessTimeBetween(london, at('2026-01-06T14:00:00Z'), at('2026-01-06T12:00:00Z'))).toBe(-2 * H);
    expect(() =>
      addBusinessTime({ timezone: 'UTC', intervals: {}, holidays: [] }, at('2026-01-06T12:00:00Z'), H),
    ).toThrow(RangeError);
  });
});
