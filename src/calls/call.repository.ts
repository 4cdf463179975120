import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { pageWithTotal, type Keyset, type Page } from '../http/pagination.js';
import { leadIdVisibleTo, leadVisibleTo } from '../leads/index.js';
import { toCall, type CallRow } from './call.mapper.js';
import type { Call, CallListQuery } from './call.schemas.js';

/**
 * The calls `visibility` reaches: those its agents took, and those of leads it sees (the one
 * visibility filter, on both owner columns). Every read of calls for a caller starts here.
 */
export function selectCalls(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('calls')
    .selectAll('calls')
    .where((eb) =>
      visibility.all
        ? eb.lit(true)
        : eb.or([
            leadVisibleTo(visibility, 'calls.agent_id')(eb),
            leadIdVisibleTo(visibility, 'calls.lead_id')(eb),
          ]),
    );
}

/** A call by uuid or reference (`CALL-00012`) among those `visibility` reaches. */
export async function findCallRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
): Promise<CallRow | undefined> {
  const ref = /^CALL-(\d{1,15})$/i.exec(idOrRef);
  const query = selectCalls(db, visibility);
  return (
    ref ? query.where('calls.number', '=', String(Number(ref[1]))) : query.where('calls.id', '=', idOrRef)
  ).executeTakeFirst();
}

/** A call by id, locked for the rest of the transaction (every change of a call goes through it). */
export function lockCall(trx: TenantDb, callId: string): Promise<CallRow | undefined> {
  return trx.selectFrom('calls').selectAll().where('id', '=', callId).forUpdate().executeTakeFirst();
}

const callKeyset: Keyset = {
  list: 'calls:queuedAt:desc',
  columns: [
    ['calls.queued_at', 'timestamp'],
    ['calls.id', 'uuid'],
  ],
  direction: 'desc',
};

/** The filtered, visible calls, newest first (see `GET /api/crm/calls`), one page and the total. */
export async function listCalls(
  db: TenantDb,
  visibility: Visibility,
  query: CallListQuery & { limit: number; cursor?: string },
): Promise<Page<Call> & { total: number }> {
  let base = selectCalls(db, visibility);
  if (query.leadId) base = base.where('calls.lead_id', '=', query.leadId);
  if (query.agentId) base = base.where('calls.agent_id', '=', query.agentId);
  if (query.outcome) base = base.where('calls.outcome', 'in', query.outcome);
  if (query.status) base = base.where('calls.status', 'in', query.status);
  if (query.direction) base = base.where('calls.direction', '=', query.direction);
  if (query.mode) base = base.where('calls.mode', '=', query.mode);
  if (query.campaign) base = base.where('calls.campaign', '=', query.campaign);
  if (query.abandoned !== undefined) base = base.where('calls.abandoned', '=', query.abandoned);
  if (query.from) base = base.where('calls.queued_at', '>=', query.from);
  if (query.to) base = base.where('calls.queued_at', '<', query.to);
  return pageWithTotal(base, callKeyset, query, toCall);
}
