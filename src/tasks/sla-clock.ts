import { addBusinessTime, businessTimeBetween, type WorkingCalendar } from '../calendars/index.js';
import type { SlaStatus, TaskStatus } from './tasks.tables.js';

/**
 * The SLA clock of one task, in business time on one calendar. It runs from the SLA's start;
 * statuses in `pauseStatuses` stop it (the time run so far is kept in `consumedMs`) and leaving
 * them starts a new run. While it runs, the at-risk instant and the deadline follow from what is
 * left: `atRiskAt` when `atRiskPercent` % of the SLA time is left, `deadline` when none is.
 * A breach is final: once the deadline passed, it and the breach stay whatever happens next.
 */
export interface SlaTerms {
  slaMs: number;
  atRiskPercent: number;
  pauseStatuses: readonly TaskStatus[];
  calendar: WorkingCalendar;
}

export interface SlaClock {
  status: SlaStatus;
  consumedMs: number;
  /** Start of the current run; null while paused or stopped. */
  runningSince: Date | null;
  atRiskAt: Date | null;
  deadline: Date | null;
  breachedAt: Date | null;
}

/** The clock of an SLA starting at `start` (running unless the task starts in a pausing status). */
export function startClock(terms: SlaTerms, start: Date, status: TaskStatus): SlaClock {
  const fresh: SlaClock = {
    status: 'on_track',
    consumedMs: 0,
    runningSince: null,
    atRiskAt: null,
    deadline: null,
    breachedAt: null,
  };
  return terms.pauseStatuses.includes(status) ? fresh : run(terms, fresh, start);
}

/** Starts a run at `at`: the instants follow from the time left. */
function run(terms: SlaTerms, clock: SlaClock, at: Date): SlaClock {
  if (clock.breachedAt) return { ...clock, runningSince: at };
  const leftMs = Math.max(0, terms.slaMs - clock.consumedMs);
  const safeMs = Math.max(0, terms.slaMs * (1 - terms.atRiskPercent / 100) - clock.consumedMs);
  return {
    ...clock,
    runningSince: at,
    atRiskAt: addBusinessTime(terms.calendar, at, Math.round(safeMs)),
    deadline: addBusinessTime(terms.calendar, at, leftMs),
  };
}

/** Stops the run at `at`, keeping the business time it ran. */
function stop(terms: SlaTerms, clock: SlaClock, at: Date): SlaClock {
  if (!clock.runningSince) return clock;
  const ran = Math.max(0, businessTimeBetween(terms.calendar, clock.runningSince, at));
  return {
    ...clock,
    consumedMs: clock.consumedMs + ran,
    runningSince: null,
    ...(clock.breachedAt ? {} : { atRiskAt: null, deadline: null }),
  };
}

/**
 * The clock after the task's status changed to `status` at `at`: paused, resumed, or stopped for
 * good when the task is completed (`completed`, the breach kept) or cancelled (`not_applicable`).
 */
export function onStatusChange(terms: SlaTerms, clock: SlaClock, status: TaskStatus, at: Date): SlaClock {
  const settled = settle(clock, at);
  if (status === 'completed') return { ...stop(terms, settled, at), status: 'completed' };
  if (status === 'cancelled') return { ...stop(terms, settled, at), status: 'not_applicable' };
  const pausing = terms.pauseStatuses.includes(status);
  if (pausing) return stop(terms, settled, at);
  return settled.runningSince ? settled : settle(run(terms, settled, at), at);
}

/** The clock under new terms (another SLA duration or policy), its time run so far kept. */
export function retime(terms: SlaTerms, clock: SlaClock, at: Date): SlaClock {
  if (clock.breachedAt || !clock.runningSince) return clock;
  const stopped = stop(terms, clock, at);
  return settle(run(terms, stopped, at), at);
}

/** The status the instants give at `at` (a breach at the deadline, at risk from `atRiskAt`). */
export function settle(clock: SlaClock, at: Date): SlaClock {
  if (clock.status === 'completed' || clock.status === 'not_applicable' || clock.breachedAt) return clock;
  if (clock.deadline && clock.deadline.getTime() <= at.getTime()) {
    return { ...clock, status: 'breached', breachedAt: clock.deadline };
  }
  if (clock.atRiskAt && clock.atRiskAt.getTime() <= at.getTime()) return { ...clock, status: 'at_risk' };
  return clock.status === 'at_risk' && clock.runningSince ? { ...clock, status: 'on_track' } : clock;
}

/** Business time past the deadline at `at` (0 when not breached). */
export function breachMs(terms: Pick<SlaTerms, 'calendar'>, clock: SlaClock, at: Date): number {
  if (!clock.breachedAt) return 0;
  return Math.max(0, businessTimeBetween(terms.calendar, clock.breachedAt, at));
}

/** The instants a timer must wake the clock at (the at-risk instant while on track, the deadline). */
export function timerInstants(clock: SlaClock): Date[] {
  if (!clock.runningSince || clock.breachedAt) return [];
  const instants: Date[] = [];
  if (clock.status === 'on_track' && clock.atRiskAt) instants.push(clock.atRiskAt);
  if (clock.deadline) instants.push(clock.deadline);
  return instants;
}
