import { z } from 'zod';
import { AppError } from '../http/app-error.js';
import { queueEntryStatuses, type QueueEntryStatus } from '../dialer/index.js';
import { isoDateTimeInput } from '../http/input-contract.js';

/** A half-open interval of instants: from ≤ queued_at < to. */
export interface StatsPeriod {
  from: Date;
  to: Date;
}

const dayMs = 86_400_000;
/** The default period: the last 30 days up to now. */
const defaultDays = 30;
/** The longest period the statistics answer for. */
export const maxPeriodDays = 366;

const periodQuery = {
  from: isoDateTimeInput()
    .optional()
    .meta({ description: 'Calls queued at or after this instant (default: `to` minus 30 days)' }),
  to: isoDateTimeInput().optional().meta({ description: 'Calls queued before this instant (default: now)' }),
  campaign: z.string().min(1).max(200).optional().meta({ description: 'Only calls of this campaign' }),
};

export const agentStatsQuery = z.object({
  ...periodQuery,
  agentId: z.uuid().optional().meta({ description: "Only this salesperson's row (an agent profile's id)" }),
});

export const campaignStatsQuery = z.object(periodQuery);

/**
 * The period of a query: `to` defaults to now, `from` to 30 days before `to`. A 400
 * (`validation_failed`) when from ≥ to or the period spans more than `maxPeriodDays`.
 */
export function resolveStatsPeriod(query: { from?: Date | undefined; to?: Date | undefined }, now: Date) {
  const to = query.to ?? now;
  const from = query.from ?? new Date(to.getTime() - defaultDays * dayMs);
  if (from.getTime() >= to.getTime()) {
    throw AppError.invalidFields([{ path: 'query.to', message: 'to must be after from' }]);
  }
  if (to.getTime() - from.getTime() > maxPeriodDays * dayMs) {
    throw AppError.invalidFields([
      { path: 'query.to', message: `A period spans at most ${maxPeriodDays} days` },
    ]);
  }
  return { from, to } satisfies StatsPeriod;
}

const count = z.number().int().min(0);
const rate = z.number().min(0).nullable();

export const periodSchema = z.object({ from: z.date(), to: z.date() });

export const agentFiguresSchema = z.object({
  calls: count.meta({ description: 'Ended calls taken or placed by the salesperson, queued in the period' }),
  connected: count.meta({
    description: 'Of those, calls bridged to the salesperson (click-to-call: answered by the lead)',
  }),
  connectRate: rate.meta({ description: 'connected / calls (0 to 1); null when no call' }),
  talkSeconds: count.meta({ description: 'Total talk time of the connected calls, in seconds' }),
  averageTalkSeconds: rate.meta({ description: 'talkSeconds / connected; null when none connected' }),
});

export const agentStatsSchema = z.object({
  period: periodSchema,
  agents: z.array(agentFiguresSchema.extend({ agent: z.object({ id: z.uuid(), name: z.string() }) })),
  totals: agentFiguresSchema,
});

export const campaignFiguresSchema = z.object({
  calls: count.meta({ description: 'Ended calls of the campaign queued in the period' }),
  answered: count.meta({ description: 'Answered by a person (outcome answered, not a machine)' }),
  abandoned: count.meta({ description: 'Answered, and no salesperson took the call' }),
  abandonRate: rate.meta({
    description:
      'abandoned / answered (0 to 1; the dialer keeps it ≤ 0.03 over 30 days); null when none answered',
  }),
  connected: count.meta({ description: 'Answered and not abandoned' }),
  attemptsPerConnect: rate.meta({ description: 'calls / connected; null when none connected' }),
  queue: z
    .object(
      Object.fromEntries(queueEntryStatuses.map((status) => [status, count])) as Record<
        QueueEntryStatus,
        typeof count
      >,
    )
    .meta({ description: "The campaign's call-queue entries now, by status (whatever the period)" }),
});

export const campaignStatsSchema = z.object({
  period: periodSchema,
  campaigns: z.array(
    campaignFiguresSchema.extend({
      campaign: z.string().nullable().meta({ description: 'null: manual calls (click-to-call, inbound)' }),
    }),
  ),
  totals: campaignFiguresSchema,
});
