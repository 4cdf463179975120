import { loadCallSettings, retryDelayMs } from '../call-rules/index.js';
import type { CallEnded } from '../calls/index.js';
import type { OpenUnit } from '../tenancy/unit-of-work.js';
import { scheduleDialerTick } from './dialer-schedule.js';

/** Provider refusals that may pass later (rate limiting, an outage): not the lead's attempt. */
const notTheLeads = new Set(['rate_limited', 'unavailable']);
const retryLaterMs = 60_000;

/**
 * A dialer call ended (the `calls.ended` hook, in the unit that ended it): its queue entry moves
 * on. A person answered and talked → `connected`, out of the queue. An abandoned call → waiting
 * again, not before the cooldown (no redial within 72 h by default) if attempts remain. No
 * answer, busy, a machine, failed → waiting again after the backoff of its attempt (15 min, 1 h,
 * 4 h by default), or out as `not_connected` after the last attempt. A refusal that may pass
 * later does not count as an attempt. Either way the salesperson may be free: wake the dialer.
 */
export async function moveQueueEntryOn({ unit, handle }: OpenUnit, { call }: CallEnded): Promise<void> {
  if (call.mode !== 'dialer' || !call.queue_entry_id) return;
  const trx = unit.trx;
  const entry = await trx
    .selectFrom('call_queue')
    .selectAll()
    .where('id', '=', call.queue_entry_id)
    .forUpdate()
    .executeTakeFirst();
  const end = call.ended_at ?? new Date();
  if (entry && entry.status === 'dialing' && entry.last_call_id === call.id) {
    const settings = await loadCallSettings(handle, trx);
    const done = (status: 'connected' | 'not_connected') => ({
      status,
      finished_at: end,
      next_attempt_at: null,
    });
    const change =
      call.error_code && notTheLeads.has(call.error_code)
        ? {
            status: 'waiting' as const,
            attempts: Math.max(0, entry.attempts - 1),
            next_attempt_at: new Date(end.getTime() + retryLaterMs),
          }
        : call.outcome === 'answered' && !call.abandoned
          ? done('connected')
          : entry.attempts >= settings.maxAttempts
            ? done('not_connected')
            : {
                status: 'waiting' as const,
                next_attempt_at: new Date(
                  end.getTime() +
                    (call.abandoned
                      ? Math.max(
                          settings.abandonCooldownHours * 3_600_000,
                          retryDelayMs(settings, entry.attempts),
                        )
                      : retryDelayMs(settings, entry.attempts)),
                ),
              };
    await trx
      .updateTable('call_queue')
      .set({ ...change, last_outcome: call.abandoned ? 'abandoned' : call.outcome, updated_at: new Date() })
      .where('id', '=', entry.id)
      .execute();
  }
  await scheduleDialerTick(unit, handle.tenant.id, new Date());
}
