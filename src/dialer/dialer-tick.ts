import { sql } from 'kysely';
import { systemActor } from '../auth/actors.js';
import { filterCallable, loadCallSettings, type CallSettings } from '../call-rules/index.js';
import {
  dialRecordedCall,
  lockAgentChoice,
  reconcileStaleCalls,
  recordOutboundCall,
  type CallRow,
  type CallServices,
} from '../calls/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { listAvailableAgents } from '../presence/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { loadTelephony, TelephonyError, type TelephonyChannel } from '../telephony/index.js';
import type { QueueEntryRow } from './call-queue.repository.js';
import { scheduleDialerTick } from './dialer-schedule.js';
import { effectiveDialRatio, linesToDial, type CampaignHistory } from './pacing.js';

/** While leads wait, the dialer looks again at least this often (agents coming back, hours opening). */
export const dialerPollMs = 15_000;
const dayMs = 86_400_000;

export interface TickResult {
  placed: number;
  freeAgents: number;
  /** Entries put off by a compliance rule this tick. */
  deferred: number;
}

/**
 * One pass of the dialer for a tenant, at `now`: in one unit of work under the agent-choice lock
 * (so no other tick or answered call takes the same salesperson), it reads the free salespeople,
 * the pacing of the campaigns, and the next waiting entries in queue order (priority, then oldest);
 * entries a compliance rule refuses now are put off to the instant it allows them (do-not-call ones
 * leave the queue); the rest are recorded as calls (one per free salesperson, reserved for them; or
 * ahead of answers at a ratio above 1) and marked `dialing`. After the commit the provider is asked
 * to place each. Schedules the next tick. A tenant without telephony is left alone.
 */
export async function runDialerTick(
  services: CallServices,
  handle: TenantHandle,
  now: Date = new Date(),
): Promise<TickResult> {
  const channel = await loadTelephony(services, handle);
  if (!channel) return { placed: 0, freeAgents: 0, deferred: 0 };
  await reconcileStaleCalls(services, handle, channel, now);
  const { calls, settings, freeAgents, deferred } = await inTenantTransaction(
    services,
    handle,
    async (unit) => {
      await lockAgentChoice(unit.trx);
      const settings = await loadCallSettings(handle, unit.trx);
      const free = await listAvailableAgents(unit.trx, {
        tenantTimezone: handle.tenant.timezone,
        at: now,
        limit: 500,
      });
      const calls: CallRow[] = [];
      let deferred = 0;
      if (free.length > 0) {
        const ratio = await campaignRatio(unit.trx, settings, now);
        const reserve = ratio <= 1;
        const lines = linesToDial(free.length, ratio, reserve ? 0 : await unansweredAhead(unit.trx));
        // Pages of candidates until the lines are filled or nobody callable waits now (each entry
        // read is dialled or put off, so it leaves the next page).
        while (calls.length < lines) {
          const page = await nextWaiting(unit.trx, now, Math.max(20, (lines - calls.length) * 4));
          if (page.length === 0) break;
          const verdicts = await filterCallable(
            unit.trx,
            page.map((entry) => ({ leadId: entry.lead_id, phone: entry.phone, timezones: entry.timezones })),
            settings,
            now,
          );
          for (const [index, entry] of page.entries()) {
            if (entry.lead_archived_at) {
              // Archived since it was queued: it leaves the queue (recording a call to it would
              // fail the whole tick, and every tick after it).
              await leaveQueue(unit.trx, entry.id, 'removed', 'lead_archived', now);
              continue;
            }
            const verdict = verdicts[index]!;
            if (!verdict.allowed) {
              deferred++;
              await putOff(unit.trx, entry, verdict.retryAt, verdict.reason, now);
              continue;
            }
            if (calls.length >= lines) break;
            const agent = reserve ? free[calls.length]! : null;
            const row = await recordOutboundCall(unit, services, handle, channel, settings, {
              leadId: entry.lead_id,
              agentId: agent?.id ?? null,
              mode: 'dialer',
              queueEntry: { id: entry.id, campaign: entry.campaign, attempt: entry.attempts + 1 },
              now,
              actor: systemActor('dialer'),
              complianceChecked: true,
            });
            await unit.trx
              .updateTable('call_queue')
              .set((eb) => ({
                status: 'dialing',
                attempts: eb('attempts', '+', 1),
                last_call_id: row.id,
                next_attempt_at: null,
                updated_at: now,
              }))
              .where('id', '=', entry.id)
              .execute();
            calls.push(row);
          }
        }
      }
      const next = await nextTickAt(unit.trx, now);
      if (next) await scheduleDialerTick(unit, handle.tenant.id, next);
      return { calls, settings, freeAgents: free.length, deferred };
    },
  );
  await dialAll(services, handle, channel, calls, settings);
  return { placed: calls.length, freeAgents, deferred };
}

/** Asks the provider for each call; a refusal has already ended the call (`failed`), which moves its entry on. */
async function dialAll(
  services: CallServices,
  handle: TenantHandle,
  channel: TelephonyChannel,
  calls: CallRow[],
  settings: CallSettings,
): Promise<void> {
  for (const call of calls) {
    try {
      await dialRecordedCall(services, handle, channel, call, settings);
    } catch (error) {
      if (!(error instanceof TelephonyError)) throw error;
      services.logger.warn(
        { callId: call.id, kind: error.kind, code: error.providerCode },
        'the provider refused a dialer call',
      );
    }
  }
}

type Candidate = QueueEntryRow & { phone: string; lead_archived_at: Date | null };

/** Waiting entries due at `now`, in queue order, with their lead's number (and whether it was archived since). */
function nextWaiting(trx: TenantDb, now: Date, limit: number): Promise<Candidate[]> {
  return trx
    .selectFrom('call_queue')
    .innerJoin('leads', 'leads.id', 'call_queue.lead_id')
    .selectAll('call_queue')
    .select(['leads.phone', 'leads.archived_at as lead_archived_at'])
    .where('call_queue.status', '=', 'waiting')
    .where((eb) =>
      eb.or([eb('call_queue.next_attempt_at', 'is', null), eb('call_queue.next_attempt_at', '<=', now)]),
    )
    .orderBy('call_queue.priority_rank')
    .orderBy('call_queue.queued_at')
    .orderBy('call_queue.id')
    .limit(limit)
    .execute();
}

/** A refused entry waits until the rule allows it; a do-not-call one leaves the queue. */
async function putOff(
  trx: TenantDb,
  entry: Candidate,
  retryAt: Date | null,
  reason: string,
  now: Date,
): Promise<void> {
  if (reason === 'do_not_call' || retryAt === null) {
    await leaveQueue(trx, entry.id, reason === 'do_not_call' ? 'do_not_call' : 'not_connected', reason, now);
    return;
  }
  // Never at or before `now`: the entry must leave this tick's pages.
  const at = retryAt.getTime() > now.getTime() ? retryAt : new Date(now.getTime() + 60_000);
  await trx
    .updateTable('call_queue')
    .set({ next_attempt_at: at, last_outcome: reason, updated_at: now })
    .where('id', '=', entry.id)
    .execute();
}

async function leaveQueue(
  trx: TenantDb,
  entryId: string,
  status: 'do_not_call' | 'not_connected' | 'removed',
  reason: string,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('call_queue')
    .set({ status, last_outcome: reason, finished_at: now, updated_at: now })
    .where('id', '=', entryId)
    .execute();
}

/** The ratio for this tick: the lowest of the campaigns that have leads waiting (the cautious one). */
async function campaignRatio(trx: TenantDb, settings: CallSettings, now: Date): Promise<number> {
  if (settings.dialRatio <= 1) return 1;
  const rows = await trx
    .selectFrom('calls')
    .select((eb) => [
      'calls.campaign',
      eb.fn.countAll<string>().as('ended'),
      sql<string>`count(*) filter (where calls.outcome = 'answered')`.as('answered'),
      sql<string>`count(*) filter (where calls.abandoned and calls.outcome = 'answered')`.as('abandoned'),
    ])
    .where('calls.mode', '=', 'dialer')
    .where('calls.outcome', 'is not', null)
    .where('calls.queued_at', '>', new Date(now.getTime() - 30 * dayMs))
    .where('calls.campaign', 'in', (eb) =>
      eb
        .selectFrom('call_queue')
        .select('call_queue.campaign')
        .distinct()
        .where('call_queue.status', '=', 'waiting'),
    )
    .groupBy('calls.campaign')
    .execute();
  const waiting = await trx
    .selectFrom('call_queue')
    .select('campaign')
    .distinct()
    .where('status', '=', 'waiting')
    .execute();
  let ratio = settings.dialRatio;
  for (const { campaign } of waiting) {
    const row = rows.find((r) => r.campaign === campaign);
    const history: CampaignHistory = row
      ? { ended: Number(row.ended), answered: Number(row.answered), abandoned: Number(row.abandoned) }
      : { ended: 0, answered: 0, abandoned: 0 };
    ratio = Math.min(ratio, effectiveDialRatio(settings.dialRatio, history, settings.maxAbandonPercent));
  }
  return ratio;
}

/** Dialer calls placed ahead of an answer (no salesperson yet) still ringing. */
async function unansweredAhead(trx: TenantDb): Promise<number> {
  const row = await trx
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('mode', '=', 'dialer')
    .where('agent_id', 'is', null)
    .where('answered_at', 'is', null)
    .where('status', 'in', ['queued', 'initiated', 'ringing'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * When to look again: while entries wait, at the earliest of their next attempts still to come,
 * or the poll interval (which also finds salespeople back from wrap-up); nothing when the queue
 * is empty. Entries already due are waiting for a free salesperson: not a reason to look sooner.
 */
async function nextTickAt(trx: TenantDb, now: Date): Promise<Date | null> {
  const row = await trx
    .selectFrom('call_queue')
    .select((eb) => [
      eb.fn.countAll<string>().as('waiting'),
      // Entries due already wait for a salesperson: a call's end wakes the dialer, else the poll.
      eb.fn.min('next_attempt_at').filterWhere('next_attempt_at', '>', now).as('next_attempt'),
    ])
    .where('status', '=', 'waiting')
    .executeTakeFirstOrThrow();
  if (Number(row.waiting) === 0) return null;
  const poll = now.getTime() + dialerPollMs;
  const nextAttempt = row.next_attempt ? new Date(row.next_attempt as Date).getTime() : poll;
  return new Date(Math.max(now.getTime() + 1000, Math.min(poll, nextAttempt)));
}
