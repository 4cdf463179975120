import type { Selectable } from 'kysely';
import { actorFromColumns } from '../auth/actors.js';
import type { Signal } from './signal.schemas.js';
import type { SignalsTable } from './signals.tables.js';

/** A signal row with its derived breach, as `selectSignals` reads it. */
export type SignalRow = Selectable<SignalsTable> & { breached: boolean };

/** `SIG-00001`: the number zero-padded to 5 digits (more digits past 99999). */
export const signalRef = (number: string | number) => `SIG-${String(number).padStart(5, '0')}`;

export function toSignal(row: SignalRow): Signal {
  const record = row.lead_id
    ? { kind: 'lead' as const, id: row.lead_id }
    : row.contact_id
      ? { kind: 'contact' as const, id: row.contact_id }
      : { kind: 'deal' as const, id: row.deal_id! };
  return {
    id: row.id,
    ref: signalRef(row.number),
    type: row.type,
    record,
    ownerId: row.owner_agent_id,
    content: row.content,
    inboundCount: row.inbound_count,
    status: row.status,
    slaSeconds: row.sla_seconds,
    slaDeadline: row.sla_deadline,
    breached: row.breached,
    openedAt: row.opened_at,
    lastInboundAt: row.last_inbound_at,
    resolvedAt: row.resolved_at,
    resolvedBy:
      row.resolved_at && row.resolved_by_type
        ? actorFromColumns(row.resolved_by, row.resolved_by_type, row.resolved_by_id)
        : null,
    resolution: row.resolution,
    resolutionNote: row.resolution_note,
    source: row.source_kind && row.source_id ? { kind: row.source_kind, id: row.source_id } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
