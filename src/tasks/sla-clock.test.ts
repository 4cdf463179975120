import { describe, expect, it } from 'vitest';
import { addBusinessTime, businessTimeBetween, type WorkingCalendar } from '../calendars/index.js';
import { onStatusChange, retime, settle, startClock, timerInstants, type SlaTerms } from './sla-clock.js';
import type { TaskStatus } from './tasks.tables.js';
import { seededRandom as random } from '../testing/seeded-random.js';

const day: [string, string][] = [['10:00', '19:00']];
const calendar: WorkingCalendar = {
  timezone: 'Europe/London',
  intervals: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day },
  holidays: ['2026-12-25'],
};
const terms: SlaTerms = { slaMs: 4 * 3_600_000, atRiskPercent: 20, pauseStatuses: ['waiting'], calendar };
const at = (iso: string) => new Date(iso);

describe('the SLA clock', () => {
  it('runs in business time: at risk with 20 % left, breached at the deadline, across a night', () => {
    // Mon 2026-03-02 17:00 London + 4 h: 2 h today, 2 h Tuesday → Tue 12:00; at risk after 3.2 h → Tue 11:12.
    const clock = startClock(terms, at('2026-03-02T17:00:00Z'), 'pending');
    expect(clock).toMatchObject({
      status: 'on_track',
      atRiskAt: at('2026-03-03T11:12:00Z'),
      deadline: at('2026-03-03T12:00:00Z'),
    });
    expect(timerInstants(clock)).toEqual([at('2026-03-03T11:12:00Z'), at('2026-03-03T12:00:00Z')]);
    expect(settle(clock, at('2026-03-03T11:11:59Z')).status).toBe('on_track');
    expect(settle(clock, at('2026-03-03T11:12:00Z')).status).toBe('at_risk');
    const breached = settle(clock, at('2026-03-03T12:00:00Z'));
    expect(breached).toMatchObject({ status: 'breached', breachedAt: at('2026-03-03T12:00:00Z') });
    expect(timerInstants(breached)).toEqual([]);
  });

  it('stops while waiting and resumes with the time left; a breach stays final', () => {
    const start = startClock(terms, at('2026-03-02T10:00:00Z'), 'pending');
    // 1 h run, then waiting over the night, resumed Tuesday 10:00 with 3 h left → 13:00.
    const paused = onStatusChange(terms, start, 'waiting', at('2026-03-02T11:00:00Z'));
    expect(paused).toMatchObject({
      consumedMs: 3_600_000,
      runningSince: null,
      deadline: null,
      atRiskAt: null,
    });
    expect(timerInstants(paused)).toEqual([]);
    const resumed = onStatusChange(terms, paused, 'in_progress', at('2026-03-03T10:00:00Z'));
    expect(resumed.deadline).toEqual(at('2026-03-03T13:00:00Z'));
    expect(resumed.atRiskAt).toEqual(at('2026-03-03T12:12:00Z'));
    const late = settle(resumed, at('2026-03-03T14:00:00Z'));
    const again = onStatusChange(
      terms,
      onStatusChange(terms, late, 'waiting', at('2026-03-03T15:00:00Z')),
      'pending',
      at('2026-03-04T10:00:00Z'),
    );
    expect(again).toMatchObject({
      status: 'breached',
      breachedAt: at('2026-03-03T13:00:00Z'),
      deadline: at('2026-03-03T13:00:00Z'),
    });
    expect(onStatusChange(terms, again, 'completed', at('2026-03-04T11:00:00Z'))).toMatchObject({
      status: 'completed',
      breachedAt: at('2026-03-03T13:00:00Z'),
    });
  });

  it('a longer SLA puts an at-risk task back on track; a shorter one can breach it at once', () => {
    const clock = settle(
      startClock(terms, at('2026-03-02T10:00:00Z'), 'pending'),
      at('2026-03-02T13:30:00Z'),
    );
    expect(clock.status).toBe('at_risk');
    const longer = retime({ ...terms, slaMs: 8 * 3_600_000 }, clock, at('2026-03-02T13:30:00Z'));
    expect(longer).toMatchObject({ status: 'on_track', deadline: at('2026-03-02T18:00:00Z') });
    const shorter = retime({ ...terms, slaMs: 3_600_000 }, clock, at('2026-03-02T13:30:00Z'));
    expect(shorter).toMatchObject({ status: 'breached', breachedAt: at('2026-03-02T13:30:00Z') });
  });

  it('over 2,000 random pause/resume histories, the business time run adds up to the SLA at the deadline', () => {
    const next = random(20);
    const statuses: TaskStatus[] = ['pending', 'in_progress', 'waiting'];
    for (let n = 0; n < 2_000; n++) {
      const slaMs = Math.round(1 + next() * 40) * 15 * 60_000;
      const own: SlaTerms = { ...terms, slaMs };
      let now = new Date(Date.UTC(2026, 2, 1) + Math.floor(next() * 300 * 86_400_000));
      let status: TaskStatus = statuses[Math.floor(next() * 3)]!;
      let clock = startClock(own, now, status);
      const runs: [Date, Date | null][] = clock.runningSince ? [[now, null]] : [];
      for (let step = 0; step < 6; step++) {
        now = new Date(now.getTime() + Math.floor(next() * 2 * 86_400_000));
        clock = settle(clock, now);
        if (clock.breachedAt) break;
        status = statuses[Math.floor(next() * 3)]!;
        const running = !!clock.runningSince;
        clock = onStatusChange(own, clock, status, now);
        if (running && !clock.runningSince) runs.at(-1)![1] = now;
        if (!running && clock.runningSince) runs.push([now, null]);
      }
      if (clock.breachedAt || !clock.deadline) continue;
      const [lastStart] = runs.at(-1)!;
      const run = runs.slice(0, -1).reduce((sum, [a, b]) => sum + businessTimeBetween(calendar, a, b!), 0);
      expect(run + businessTimeBetween(calendar, lastStart, clock.deadline)).toBe(slaMs);
      expect(clock.deadline).toEqual(addBusinessTime(calendar, lastStart, slaMs - run));
    }
  });
});
