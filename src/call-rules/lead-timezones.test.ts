import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { CallingHours } from './call-settings.js';
import {
  callingSearchDays,
  callingWindowOpen,
  leadTimezones,
  localDayStart,
  nextCallingInstant,
  nextLocalMidnight,
} from './lead-timezones.js';

const hours: CallingHours = { start: '09:00', end: '20:00' };
const at = (iso: string) => new Date(iso);

/** The oracle: Luxon's wall clock in each zone, compared as minutes of the day. */
function openByLuxon(zones: readonly string[], h: CallingHours, instant: number): boolean {
  const [sh, sm] = h.start.split(':').map(Number);
  const [eh, em] = h.end.split(':').map(Number);
  return (
    zones.length > 0 &&
    zones.every((zone) => {
      const local = DateTime.fromMillis(instant, { zone });
      const minutes = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
      return minutes >= sh! * 60 + sm! && minutes < eh! * 60 + em!;
    })
  );
}

/** The oracle's next instant: `from` when open, else the first whole minute after it that is. */
function nextByScan(zones: readonly string[], h: CallingHours, from: number): number | null {
  if (openByLuxon(zones, h, from)) return from;
  const limit = from + callingSearchDays * 86_400_000;
  for (let t = Math.ceil(from / 60_000) * 60_000; t <= limit; t += 60_000) {
    if (openByLuxon(zones, h, t)) return t;
  }
  return null;
}

/** A seeded generator, so a failure replays. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const zonePool = [
  'America/Los_Angeles',
  'America/New_York',
  'America/Chicago',
  'America/Phoenix',
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'America/Santiago',
  'UTC',
];

describe('leadTimezones', () => {
  it("reads the zone of the number's region", async () => {
    expect(await leadTimezones('+14155550100', 'Europe/London')).toEqual(['America/Los_Angeles']);
    expect(await leadTimezones('+442071234567', 'Asia/Kolkata')).toEqual(['Europe/London']);
  });

  it('keeps only zones Luxon knows (+91: Asia/Calcutta is a known alias)', async () => {
    const zones = await leadTimezones('+919876543210', 'Europe/London');
    expect(zones).toHaveLength(1);
    expect(DateTime.now().setZone(zones[0]!).offset).toBe(330);
  });

  it('gives every zone of a number whose region spans several (+1 800)', async () => {
    const zones = await leadTimezones('+18005550100', 'Europe/London');
    expect(zones.length).toBeGreaterThan(5);
    expect(zones).toContain('America/New_York');
    expect(zones).toContain('America/Los_Angeles');
  });

  it("falls back to the tenant's zone for a number of no known region or no valid number", async () => {
    // +882 (international networks) has no geographic zone: libphonenumber answers Etc/Unknown.
    expect(await leadTimezones('+88213100000', 'Asia/Kolkata')).toEqual(['Asia/Kolkata']);
    expect(await leadTimezones('not a number', 'Europe/Berlin')).toEqual(['Europe/Berlin']);
  });
});

describe('callingWindowOpen', () => {
  const la = ['America/Los_Angeles'];
  it("is open from start to end (excluded) in the lead's local time", () => {
    // 15 July 2026: Pacific daylight time, UTC-7.
    expect(callingWindowOpen(la, hours, at('2026-07-15T15:59:59Z'))).toBe(false); // 08:59:59
    expect(callingWindowOpen(la, hours, at('2026-07-15T16:00:00Z'))).toBe(true); // 09:00
    expect(callingWindowOpen(la, hours, at('2026-07-16T02:59:59Z'))).toBe(true); // 19:59:59
    expect(callingWindowOpen(la, hours, at('2026-07-16T03:00:00Z'))).toBe(false); // 20:00
  });

  it('needs the window open in every candidate zone', () => {
    const both = ['America/New_York', 'America/Los_Angeles'];
    // 09:30 New York = 06:30 Los Angeles: closed; 12:00 Los Angeles = 15:00 New York: open.
    expect(callingWindowOpen(both, hours, at('2026-07-15T13:30:00Z'))).toBe(false);
    expect(callingWindowOpen(both, hours, at('2026-07-15T19:00:00Z'))).toBe(true);
    // 19:30 Los Angeles = 22:30 New York: closed.
    expect(callingWindowOpen(both, hours, at('2026-07-16T02:30:00Z'))).toBe(false);
    expect(callingWindowOpen([], hours, at('2026-07-15T19:00:00Z'))).toBe(false);
  });

  it('agrees with Luxon on random instants, zones and hours', () => {
    const next = random(21);
    for (let i = 0; i < 3000; i++) {
      const zones = [
        ...new Set(
          Array.from(
            { length: 1 + Math.floor(next() * 3) },
            () => zonePool[Math.floor(next() * zonePool.length)]!,
          ),
        ),
      ];
      const start = Math.floor(next() * 23 * 60);
      const end = start + 1 + Math.floor(next() * (24 * 60 - start));
      const clock = (m: number) =>
        m === 1440
          ? '24:00'
          : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const h = { start: clock(start), end: clock(end) };
      const instant = Date.parse('2024-01-01T00:00:00Z') + Math.floor(next() * 4 * 365 * 86_400_000);
      expect(
        callingWindowOpen(zones, h, new Date(instant)),
        `${zones} ${h.start}-${h.end} ${new Date(instant).toISOString()}`,
      ).toBe(openByLuxon(zones, h, instant));
    }
  });
});

describe('nextCallingInstant', () => {
  const la = ['America/Los_Angeles'];
  it('is `from` itself while open, else the next local start', () => {
    const open = at('2026-07-15T18:00:00Z');
    expect(nextCallingInstant(la, hours, open)).toEqual(open);
    expect(nextCallingInstant(la, hours, at('2026-07-16T03:00:00Z'))?.toISOString()).toBe(
      '2026-07-16T16:00:00.000Z',
    );
    expect(nextCallingInstant(la, hours, at('2026-07-15T10:00:00Z'))?.toISOString()).toBe(
      '2026-07-15T16:00:00.000Z',
    );
  });

  it('crosses DST: the next morning at 09:00 local, whatever the offset', () => {
    // Sunday 8 March 2026, 02:00 PST → 03:00 PDT. From Saturday 20:00 PST the next start is Sunday 09:00 PDT.
    expect(nextCallingInstant(la, hours, at('2026-03-08T04:00:00Z'))?.toISOString()).toBe(
      '2026-03-08T16:00:00.000Z',
    );
    // Sunday 1 November 2026, 02:00 PDT → 01:00 PST: Sunday 09:00 PST is 17:00Z.
    expect(nextCallingInstant(la, hours, at('2026-11-01T03:00:00Z'))?.toISOString()).toBe(
      '2026-11-01T17:00:00.000Z',
    );
  });

  it('opens at the clock change when the start falls in a spring-forward gap', () => {
    // Calling hours from 02:30: on 8 March 2026 Los Angeles skips 02:00–03:00, so 03:00 PDT opens it.
    const early = { start: '02:30', end: '05:00' };
    expect(nextCallingInstant(la, early, at('2026-03-08T08:00:00Z'))?.toISOString()).toBe(
      '2026-03-08T10:00:00.000Z',
    );
  });

  it('is null when the zones never share calling hours (+1 800 spans Guam to Newfoundland)', () => {
    expect(
      nextCallingInstant(['Pacific/Guam', 'America/St_Johns'], hours, at('2026-07-15T00:00:00Z')),
    ).toBeNull();
    expect(nextCallingInstant([], hours, at('2026-07-15T00:00:00Z'))).toBeNull();
  });

  it('agrees with a minute-by-minute scan on random instants and zones, DST seasons included', () => {
    const next = random(2126);
    // Instants near the 2026 DST changes of the pool's zones, and anywhere in the year.
    const anchors = [
      '2026-03-08',
      '2026-03-29',
      '2026-04-05',
      '2026-09-27',
      '2026-10-25',
      '2026-11-01',
      '2026-04-05T12:00:00Z',
    ];
    for (let i = 0; i < 150; i++) {
      const zones = [
        ...new Set(
          Array.from(
            { length: 1 + Math.floor(next() * 2) },
            () => zonePool[Math.floor(next() * zonePool.length)]!,
          ),
        ),
      ];
      const start = Math.floor(next() * 22 * 60);
      const end = Math.min(1440, start + 60 + Math.floor(next() * 12 * 60));
      const clock = (m: number) =>
        m === 1440
          ? '24:00'
          : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const h = { start: clock(start), end: clock(end) };
      const base =
        i % 2 === 0
          ? Date.parse(anchors[i % anchors.length]!) - 86_400_000
          : Date.parse('2026-01-01T00:00:00Z');
      const from =
        base + Math.floor(next() * (i % 2 === 0 ? 2 : 365) * 86_400_000) + Math.floor(next() * 60_000);
      const expected = nextByScan(zones, h, from);
      const actual = nextCallingInstant(zones, h, new Date(from));
      expect(
        actual?.getTime() ?? null,
        `${zones} ${h.start}-${h.end} from ${new Date(from).toISOString()}`,
      ).toBe(expected);
    }
  }, 120_000);
});

describe('the lead-local day', () => {
  it('starts at the earliest local midnight and ends at the latest across the zones', () => {
    const zones = ['America/New_York', 'America/Los_Angeles'];
    const now = at('2026-07-15T18:00:00Z'); // 14:00 New York, 11:00 Los Angeles
    expect(localDayStart(zones, now).toISOString()).toBe('2026-07-15T04:00:00.000Z');
    expect(nextLocalMidnight(zones, now).toISOString()).toBe('2026-07-16T07:00:00.000Z');
  });
});
