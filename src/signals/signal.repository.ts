import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { leadVisibleTo } from '../leads/index.js';
import { toSignal, type SignalRow } from './signal.mapper.js';
import type { Signal, SignalListQuery } from './signal.schemas.js';

/** Breached: still pending and its deadline passed. Derived at the read, never stored. */
export const signalBreached = sql<boolean>`(signals.status = 'pending' and signals.sla_deadline <= now())`;

/**
 * The signals `visibility` reaches, by their owner agent (the one visibility filter), with their
 * derived breach. Every read of signals starts here.
 */
export function selectSignals(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('signals')
    .selectAll('signals')
    .select(signalBreached.as('breached'))
    .where(leadVisibleTo(visibility, 'signals.owner_agent_id'));
}

/** A signal by uuid or reference (`SIG-00012`) among those `visibility` reaches; undefined when absent or invisible. */
export async function findSignalRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
): Promise<SignalRow | undefined> {
  const ref = /^SIG-(\d{1,15})$/i.exec(idOrRef);
  const query = selectSignals(db, visibility);
  return (
    ref ? query.where('signals.number', '=', String(Number(ref[1]))) : query.where('signals.id', '=', idOrRef)
  ).executeTakeFirst();
}

const byId = ['signals.id', 'uuid'] as const;

function signalKeyset(sort: SignalListQuery['sort'], order: 'asc' | 'desc'): Keyset {
  const first =
    sort === 'slaDeadline'
      ? (['signals.sla_deadline', 'timestamp'] as const)
      : (['signals.opened_at', 'timestamp'] as const);
  return { list: `signals:${sort}:${order}`, columns: [first, byId], direction: order };
}

/** The filtered, visible signals (see `GET /api/crm/signals`), one page and the total. */
export async function listSignals(
  db: TenantDb,
  visibility: Visibility,
  query: SignalListQuery & { limit: number; cursor?: string },
): Promise<Page<Signal> & { total: number }> {
  let base = selectSignals(db, visibility);
  if (query.status) base = base.where('signals.status', '=', query.status);
  if (query.type) base = base.where('signals.type', '=', query.type);
  if (query.ownerId === 'unassigned') base = base.where('signals.owner_agent_id', 'is', null);
  else if (query.ownerId) base = base.where('signals.owner_agent_id', '=', query.ownerId);
  if (query.leadId) base = base.where('signals.lead_id', '=', query.leadId);
  if (query.breached)
    base = base.where(query.breached === 'true' ? signalBreached : sql<boolean>`not ${signalBreached}`);
  if (query.openedFrom) base = base.where('signals.opened_at', '>=', query.openedFrom);
  if (query.openedTo) base = base.where('signals.opened_at', '<', query.openedTo);
  if (query.resolvedFrom) base = base.where('signals.resolved_at', '>=', query.resolvedFrom);
  if (query.resolvedTo) base = base.where('signals.resolved_at', '<', query.resolvedTo);
  return pageWithTotal(base, signalKeyset(query.sort, query.order), query, (row) =>
    toSignal(row as SignalRow),
  );
}
