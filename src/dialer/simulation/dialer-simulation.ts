import { DateTime } from 'luxon';
import { seededRandom as seeded } from '../../testing/seeded-random.js';

export { seeded };

/** How a call to a number plays (the fake Twilio's `FakeCallScript`, the fields used here). */
export type FakeCallOutcome = 'answer' | 'busy' | 'no-answer' | 'machine' | 'failed' | 'switched_off';
export interface FakeCallScript {
  outcome?: FakeCallOutcome;
  ringSeconds?: number;
  talkSeconds?: number;
}

/**
 * The scripted population of a simulated dialer run (issue 21): leads in several regions (so
 * their calling hours differ), each with an outcome per attempt drawn from a seeded random
 * source, and the figures the run reports. The run itself is in `dialer-simulation.test.ts`.
 */

/**
 * Regions of the leads' numbers, with the zone the test itself holds the lead to (written here,
 * not computed by the production code: the check of calling hours must not share its bugs).
 */
export const regions = [
  { name: 'New York', prefix: '+1212456', digits: 4, zone: 'America/New_York' },
  { name: 'Chicago', prefix: '+1312456', digits: 4, zone: 'America/Chicago' },
  { name: 'Denver', prefix: '+1720456', digits: 4, zone: 'America/Denver' },
  { name: 'Los Angeles', prefix: '+1415456', digits: 4, zone: 'America/Los_Angeles' },
  { name: 'London', prefix: '+4420794', digits: 5, zone: 'Europe/London' },
  { name: 'India', prefix: '+9198200', digits: 5, zone: 'Asia/Kolkata' },
] as const;

/** Share of each outcome per attempt (sums to 1). */
export const outcomeShares: [FakeCallOutcome, number][] = [
  ['answer', 0.3],
  ['machine', 0.1],
  ['no-answer', 0.25],
  ['busy', 0.15],
  ['switched_off', 0.1],
  ['failed', 0.1],
];

export interface SimLead {
  index: number;
  phone: string;
  zone: string;
  /** The script of attempt 1, 2, 3, … (the last repeats). */
  attempts: FakeCallScript[];
  /** On the do-not-call list before it is queued (never queued, never called). */
  dncBefore: boolean;
  /** Listed (`/dnc`) or flagged (`doNotCall`) while waiting in the queue, at this simulated instant. */
  dncAfter: { at: number; how: 'list' | 'flag' } | null;
}

function drawOutcome(random: () => number): FakeCallOutcome {
  let roll = random();
  for (const [outcome, share] of outcomeShares) {
    if (roll < share) return outcome;
    roll -= share;
  }
  return 'failed';
}

function drawScript(random: () => number): FakeCallScript {
  const outcome = drawOutcome(random);
  switch (outcome) {
    case 'answer':
      return {
        outcome,
        ringSeconds: 2 + Math.floor(random() * 12),
        talkSeconds: 60 + Math.floor(random() * 241),
      };
    case 'machine':
      return {
        outcome,
        ringSeconds: 4 + Math.floor(random() * 10),
        talkSeconds: 20 + Math.floor(random() * 20),
      };
    case 'busy':
      return { outcome, ringSeconds: Math.floor(random() * 8) };
    default:
      return { outcome };
  }
}

/** `count` leads spread over the regions, 2 % of them do-not-call (a third before queueing). */
export function makeLeads(count: number, seed: number, start: number): SimLead[] {
  const random = seeded(seed);
  const perRegion = new Map<string, number>();
  return Array.from({ length: count }, (_, index) => {
    const region = regions[index % regions.length]!;
    const n = perRegion.get(region.name) ?? 0;
    perRegion.set(region.name, n + 1);
    const phone = region.prefix + String(n).padStart(region.digits, '0');
    const attempts = Array.from({ length: 4 }, () => drawScript(random));
    const dnc = random() < 0.02;
    const kind = random();
    return {
      index,
      phone,
      zone: region.zone,
      attempts,
      dncBefore: dnc && kind < 1 / 3,
      dncAfter:
        dnc && kind >= 1 / 3
          ? { at: start + Math.floor(random() * 36 * 3600) * 1000, how: kind < 2 / 3 ? 'list' : 'flag' }
          : null,
    };
  });
}

/** Calling hours (09:00–20:00 lead-local), checked with Luxon from the region's zone. */
export function withinCallingHours(at: Date, zone: string, start = 9 * 60, end = 20 * 60): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const minutes = local.hour * 60 + local.minute + local.second / 60;
  return minutes >= start && minutes < end;
}

/** What a call to a lead scripted `outcome` must end as (the app's `outcome`). */
export function expectedOutcome(outcome: FakeCallOutcome, machineDetection: boolean): string {
  switch (outcome) {
    case 'answer':
      return 'answered';
    // Without detection a machine is taken for a person (bridged, talked to).
    case 'machine':
      return machineDetection ? 'missed_call' : 'answered';
    case 'busy':
    case 'no-answer':
      return 'missed_call';
    case 'switched_off':
      return 'switched_off';
    case 'failed':
      return 'not_connected';
  }
}

export interface PhaseReport {
  phase: string;
  leads: number;
  queued: number;
  salespeople: number;
  callsPlaced: number;
  answered: number;
  connects: number;
  abandoned: number;
  abandonRatePercent: number;
  machines: number;
  outsideCallingHours: number;
  toDoNotCall: number;
  redialsWithin72hOfAbandon: number;
  maxAttemptsPerEntry: number;
  entries: Record<string, number>;
  callbacksShuffledCalls: number;
  callbacksInOrderCalls: number;
  finalStateMismatches: number;
  simulatedDays: number;
  ticks: number;
  skippedPolls: number;
  wallSeconds: number;
}

export const formatReport = (r: PhaseReport): string =>
  `[dialer simulation] ${r.phase}: ${r.leads} leads (${r.queued} queued), ${r.salespeople} salespeople, ` +
  `${r.callsPlaced} calls, ${r.answered} answered, ${r.connects} connects, ${r.abandoned} abandoned ` +
  `(${r.abandonRatePercent.toFixed(2)} % of answered), ${r.machines} reached a machine, ` +
  `outside hours ${r.outsideCallingHours}, to do-not-call ${r.toDoNotCall}, ` +
  `redials < 72 h after an abandon ${r.redialsWithin72hOfAbandon}, max attempts/entry ${r.maxAttemptsPerEntry}, ` +
  `entries ${JSON.stringify(r.entries)}, callbacks shuffled+duplicated for ${r.callbacksShuffledCalls} calls ` +
  `(in order for ${r.callbacksInOrderCalls}), final-state mismatches ${r.finalStateMismatches}, ` +
  `${r.simulatedDays.toFixed(2)} simulated days, ${r.ticks} ticks (${r.skippedPolls} idle polls skipped), ${r.wallSeconds.toFixed(1)} s`;
