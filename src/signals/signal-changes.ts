import { sql } from 'kysely';
import type { AppServices } from '../app/services.js';
import type { Actor } from '../auth/access.js';
import { addBusinessTime, calendarForAgent, workingCalendarOf } from '../calendars/index.js';
import { jobRequest } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { toSignal, type SignalRow } from './signal.mapper.js';
import { signalBreached } from './signal.repository.js';
import type { Signal } from './signal.schemas.js';
import { loadSignalSettings, slaSecondsOf } from './signal-settings.js';
import type { SignalType } from './signals.tables.js';
import { slaBreachJobKind } from './sla-breach.job.js';

/** What signal changes use beyond their unit of work: the realtime emits after the commit. */
export type SignalServices = Pick<AppServices, 'realtime'>;

/** Something that came in on a lead and waits for an answer (an inbound message, a missed call…). */
export interface SignalInbound {
  type: SignalType;
  leadId: string;
  /** The text or preview to show (the latest one wins). */
  content: string | null;
  /** When it came in (the customer's clock starts here). */
  at: Date;
  /** Where it came from, e.g. `{ kind: 'conversation', id }`. */
  source?: { kind: string; id: string } | null;
  /** Who opened it by hand (null: a channel did). */
  actor?: Actor | null;
}

export interface OpenedSignal {
  signal: Signal;
  /** False when a pending signal of the same type and lead was refreshed instead. */
  opened: boolean;
}

/**
 * Opens the lead's pending signal of `inbound.type`, or refreshes it (latest content, one more
 * inbound, the lead's current owner; the deadline stays, counted from the first inbound), in the
 * caller's unit of work. The deadline is `at` plus the tenant's SLA for the type in business time,
 * on the owner's calendar. Opening enqueues the breach job at the deadline; realtime `signal.opened`
 * (or `signal.updated`) goes out after the commit. `ownerRequired`: a lead with no owner gets no
 * signal (undefined), as for channels; nor does a lead that does not exist.
 */
export async function openSignalWithin(
  unit: TenantUnitOfWork<unknown>,
  services: SignalServices,
  handle: TenantHandle,
  inbound: SignalInbound,
  options: { ownerRequired: boolean },
): Promise<OpenedSignal | undefined> {
  const { trx } = unit;
  const lead = await trx
    .selectFrom('leads')
    .select('assigned_agent_id')
    .where('id', '=', inbound.leadId)
    .executeTakeFirst();
  if (!lead) return undefined;
  const owner = lead.assigned_agent_id;
  if (owner === null && options.ownerRequired) return undefined;

  const slaSeconds = slaSecondsOf(await loadSignalSettings(handle, trx), inbound.type);
  const calendar = await calendarForAgent(handle, owner, trx);
  const deadline = addBusinessTime(workingCalendarOf(calendar), inbound.at, slaSeconds * 1000);
  const actor = inbound.actor ?? null;
  const now = new Date();
  const row = await trx
    .insertInto('signals')
    .values({
      type: inbound.type,
      lead_id: inbound.leadId,
      owner_agent_id: owner,
      content: inbound.content,
      sla_seconds: slaSeconds,
      sla_deadline: deadline,
      opened_at: inbound.at,
      last_inbound_at: inbound.at,
      source_kind: inbound.source?.kind ?? null,
      source_id: inbound.source?.id ?? null,
      actor: actor?.name ?? null,
      actor_type: actor?.type ?? null,
      actor_id: actor?.id ?? null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['type', 'lead_id'])
        .where('status', '=', 'pending')
        .where('lead_id', 'is not', null)
        .doUpdateSet({
          content: sql`case when excluded.last_inbound_at >= signals.last_inbound_at then excluded.content else signals.content end`,
          inbound_count: sql`signals.inbound_count + 1`,
          last_inbound_at: sql`greatest(signals.last_inbound_at, excluded.last_inbound_at)`,
          owner_agent_id: sql`excluded.owner_agent_id`,
          updated_at: now,
        }),
    )
    .returningAll()
    .returning([signalBreached.as('breached'), sql<boolean>`(xmax = 0)`.as('opened')])
    .executeTakeFirstOrThrow();
  const signal = toSignal(row as SignalRow);
  const opened = Boolean(row.opened);
  if (opened) {
    await unit.enqueue(
      jobRequest(
        handle.tenant.id,
        slaBreachJobKind,
        { signalId: signal.id },
        { runAt: deadline, idempotencyKey: `signals.sla_breach:${signal.id}:${deadline.toISOString()}` },
      ),
    );
  }
  unit.afterCommit(() =>
    services.realtime.emitForLead(
      handle.tenant.id,
      signal.ownerId,
      opened ? 'signal.opened' : 'signal.updated',
      {
        signal,
      },
    ),
  );
  return { signal, opened };
}

/**
 * Resolves the lead's pending signal of `type` because `actor` answered the customer (resolution
 * `replied`), in the caller's unit of work; `signal.resolved` after the commit. Undefined when none
 * was pending.
 */
export async function resolveRepliedWithin(
  unit: TenantUnitOfWork<unknown>,
  services: SignalServices,
  handle: TenantHandle,
  reply: { type: SignalType; leadId: string; actor: Actor },
): Promise<Signal | undefined> {
  const row = await unit.trx
    .updateTable('signals')
    .set(resolvedColumns(reply.actor, 'replied', null))
    .where('type', '=', reply.type)
    .where('lead_id', '=', reply.leadId)
    .where('status', '=', 'pending')
    .returningAll()
    .returning(signalBreached.as('breached'))
    .executeTakeFirst();
  if (!row) return undefined;
  const signal = toSignal(row as SignalRow);
  emitResolved(unit, services, handle, signal);
  return signal;
}

export function resolvedColumns(actor: Actor, resolution: 'replied' | 'manual', note: string | null) {
  const now = new Date();
  return {
    status: 'resolved' as const,
    resolved_at: now,
    resolved_by: actor.name,
    resolved_by_type: actor.type,
    resolved_by_id: actor.id,
    resolution,
    resolution_note: note,
    updated_at: now,
  };
}

export function emitResolved(
  unit: TenantUnitOfWork<unknown>,
  services: SignalServices,
  handle: TenantHandle,
  signal: Signal,
): void {
  unit.afterCommit(() =>
    services.realtime.emitForLead(handle.tenant.id, signal.ownerId, 'signal.resolved', { signal }),
  );
}
