import { sql } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import type { CallSettings } from './call-settings.js';
import { callingWindowOpen, localDayStart, nextCallingInstant, nextLocalMidnight } from './lead-timezones.js';

/** Why a call may not be placed now. */
export type CallRefusal = 'do_not_call' | 'outside_calling_hours' | 'abandon_cooldown' | 'daily_cap';

export type CallVerdict =
  | { allowed: true }
  /** `retryAt`: the earliest instant the call may be tried again (null: never, or not within the search span). */
  | { allowed: false; reason: CallRefusal; retryAt: Date | null };

/** A call the dialer (or a salesperson) wants to place. */
export interface CallCandidate {
  /** The lead called (null: a number with no lead). */
  leadId: string | null;
  /** The number called, E.164. */
  phone: string;
  /** The lead's candidate timezones (`leadTimezones`; the queue entry stores them). */
  timezones: readonly string[];
}

const hourMs = 3_600_000;

/**
 * Whether a call to one lead may be placed at `now`. The rules, in this order (the first that
 * refuses answers):
 * 1. `do_not_call`: the number is on the do-not-call list, or the lead's `doNotCall` flag is set.
 *    Never (retryAt null).
 * 2. `outside_calling_hours`: the local time is outside `settings.callingHours` in some candidate
 *    zone. retryAt = `nextCallingInstant`.
 * 3. `abandon_cooldown`: an abandoned call to this lead or this number ended (or, not ended yet,
 *    was queued) less than `abandonCooldownHours` ago. retryAt = the first open calling instant
 *    at or after that end + the cooldown.
 * 4. `daily_cap`: `dailyAttemptCap` outbound calls (any status but `canceled`, nor one the provider
 *    refused before placing it; dialer and
 *    click-to-call alike) were queued to the lead or the number since the start of the lead's
 *    local day. The day is the widest of the candidate zones' (it starts at the earliest local
 *    midnight and ends at the latest), the same "every candidate zone" rule as the window.
 *    retryAt = the first open calling instant at or after the day's end.
 * Time is `now`, never the database's clock (a simulated clock drives the dialer in tests).
 */
export async function checkCallAllowed(
  db: TenantDb,
  call: CallCandidate & { settings: CallSettings; now: Date },
): Promise<CallVerdict> {
  const [verdict] = await filterCallable(db, [call], call.settings, call.now);
  return verdict!;
}

/**
 * `checkCallAllowed` for a batch (a page of queue entries per dialer tick), in at most four
 * queries whatever the batch's size: the do-not-call list, the leads' flags, the recent abandoned
 * calls and the day's calls. The verdicts are in the order of `entries`.
 */
export async function filterCallable(
  db: TenantDb,
  entries: readonly CallCandidate[],
  settings: CallSettings,
  now: Date,
): Promise<CallVerdict[]> {
  const verdicts: (CallVerdict | undefined)[] = entries.map(() => undefined);
  if (entries.length === 0) return [];
  const phones = [...new Set(entries.map((entry) => entry.phone))];
  const leadIds = [...new Set(entries.flatMap((entry) => (entry.leadId ? [entry.leadId] : [])))];

  const [listed, flagged] = await Promise.all([
    db.selectFrom('do_not_call').select('phone').where('phone', 'in', phones).execute(),
    leadIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('leads')
          .select('id')
          .where('id', 'in', leadIds)
          .where('do_not_call', '=', true)
          .execute(),
  ]);
  const listedPhones = new Set(listed.map((row) => row.phone));
  const flaggedLeads = new Set(flagged.map((row) => row.id));

  const pending: number[] = [];
  for (const [index, entry] of entries.entries()) {
    if (listedPhones.has(entry.phone) || (entry.leadId !== null && flaggedLeads.has(entry.leadId))) {
      verdicts[index] = { allowed: false, reason: 'do_not_call', retryAt: null };
    } else if (!callingWindowOpen(entry.timezones, settings.callingHours, now)) {
      verdicts[index] = {
        allowed: false,
        reason: 'outside_calling_hours',
        retryAt: nextCallingInstant(entry.timezones, settings.callingHours, now),
      };
    } else {
      pending.push(index);
    }
  }
  if (pending.length === 0) return verdicts as CallVerdict[];

  const rest = pending.map((index) => entries[index]!);
  const restPhones = [...new Set(rest.map((entry) => entry.phone))];
  const restLeads = [...new Set(rest.flatMap((entry) => (entry.leadId ? [entry.leadId] : [])))];
  const cooldownMs = settings.abandonCooldownHours * hourMs;
  const dayStarts = rest.map((entry) => localDayStart(entry.timezones, now));
  const earliestDay = new Date(Math.min(...dayStarts.map((day) => day.getTime())));
  const reaches = (eb: any) =>
    restLeads.length > 0
      ? eb.or([eb('to_number', 'in', restPhones), eb('lead_id', 'in', restLeads)])
      : eb('to_number', 'in', restPhones);

  const abandonEnd = sql<Date>`coalesce(ended_at, answered_at, queued_at)`;
  const [abandons, calls] = await Promise.all([
    db
      .selectFrom('calls')
      .select(['lead_id', 'to_number', abandonEnd.as('ended')])
      .where('abandoned', '=', true)
      .where(reaches)
      .where(abandonEnd, '>', new Date(now.getTime() - cooldownMs))
      .execute(),
    db
      .selectFrom('calls')
      .select(['lead_id', 'to_number', 'queued_at'])
      .where('direction', '=', 'outbound')
      .where('status', '<>', 'canceled')
      // A call the provider refused (failed before it had an id) never rang the lead's phone.
      .where((eb) => eb.or([eb('status', '<>', 'failed'), eb('provider_call_sid', 'is not', null)]))
      .where(reaches)
      .where('queued_at', '>=', earliestDay)
      .execute(),
  ]);

  for (const [position, index] of pending.entries()) {
    const entry = entries[index]!;
    const concerns = (row: { lead_id: string | null; to_number: string }) =>
      row.to_number === entry.phone || (entry.leadId !== null && row.lead_id === entry.leadId);
    const lastAbandon = Math.max(
      ...abandons.filter(concerns).map((row) => new Date(row.ended).getTime()),
      Number.NEGATIVE_INFINITY,
    );
    if (lastAbandon > now.getTime() - cooldownMs) {
      verdicts[index] = {
        allowed: false,
        reason: 'abandon_cooldown',
        retryAt: nextCallingInstant(
          entry.timezones,
          settings.callingHours,
          new Date(lastAbandon + cooldownMs),
        ),
      };
      continue;
    }
    const dayStart = dayStarts[position]!.getTime();
    const today = calls.filter((row) => concerns(row) && new Date(row.queued_at).getTime() >= dayStart);
    if (today.length >= settings.dailyAttemptCap) {
      verdicts[index] = {
        allowed: false,
        reason: 'daily_cap',
        retryAt: nextCallingInstant(
          entry.timezones,
          settings.callingHours,
          nextLocalMidnight(entry.timezones, now),
        ),
      };
      continue;
    }
    verdicts[index] = { allowed: true };
  }
  return verdicts as CallVerdict[];
}
