import type { AppServices } from '../app/services.js';
import { RetryLaterError, type JobContext, type JobPayloads } from '../queue/job-types.js';
import { toSignal, type SignalRow } from './signal.mapper.js';
import { signalBreached } from './signal.repository.js';

export const slaBreachJobKind = 'signals.sla_breach' as const;

type BreachContext = JobContext<JobPayloads['signals.sla_breach'], Pick<AppServices, 'realtime'>>;

/**
 * Runs at a signal's deadline: a signal still pending then is breached, and its owner (with whoever
 * sees their leads) hears it once, `signal.breached`. A resolved signal, or one notified already
 * (a retried job), is left alone. The breach itself needs no write: it is derived at every read.
 */
export async function notifySlaBreach(ctx: BreachContext): Promise<void> {
  const { db, tenant } = ctx.handle;
  const { signalId } = ctx.job.payload;
  const row = await db
    .updateTable('signals')
    .set({ breach_notified_at: new Date() })
    .where('id', '=', signalId)
    .where('status', '=', 'pending')
    .where('breach_notified_at', 'is', null)
    .where('sla_deadline', '<=', new Date())
    .returningAll()
    .returning(signalBreached.as('breached'))
    .executeTakeFirst();
  if (row) {
    const signal = toSignal(row as SignalRow);
    ctx.services.realtime.emitForLead(tenant.id, signal.ownerId, 'signal.breached', { signal });
    return;
  }
  const early = await db
    .selectFrom('signals')
    .select('sla_deadline')
    .where('id', '=', signalId)
    .where('status', '=', 'pending')
    .where('breach_notified_at', 'is', null)
    .executeTakeFirst();
  // Claimed a little before the deadline (clocks of two machines): try again at the instant.
  if (early) {
    throw new RetryLaterError('signal not due yet', Math.max(1, early.sla_deadline.getTime() - Date.now()));
  }
}
