import type { Access, Actor } from '../auth/access.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { requireVisibleLead, requireWritable } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction, type UnitOfWorkDeps } from '../tenancy/unit-of-work.js';
import { toSignal, type SignalRow } from './signal.mapper.js';
import { findSignalRow, signalBreached } from './signal.repository.js';
import type { CreateSignalInput, Signal } from './signal.schemas.js';
import {
  emitResolved,
  openSignalWithin,
  resolvedColumns,
  type OpenedSignal,
  type SignalServices,
} from './signal-changes.js';

type Services = SignalServices & UnitOfWorkDeps<never>;

export interface SignalCaller {
  handle: TenantHandle;
  actor: Actor;
  access: Access;
}

/**
 * Resolves a pending signal by hand (resolution `manual`, with an optional note). A signal the
 * caller cannot see is 404; one whose owner their `leads.write` does not reach, 403; a resolved
 * one, 409.
 */
export function resolveSignal(
  services: Services,
  caller: SignalCaller,
  idOrRef: string,
  note: string | null,
): Promise<Signal> {
  const { handle, access, actor } = caller;
  return inTenantTransaction(services, handle, async (unit) => {
    const found = orNotFound(
      await findSignalRow(unit.trx, access.visibility('leads.read'), idOrRef),
      'Signal',
      { id: idOrRef },
    );
    requireWritable(
      (await findSignalRow(unit.trx, access.visibility('leads.write'), found.id)) !== undefined,
    );
    const row = await unit.trx
      .updateTable('signals')
      .set(resolvedColumns(actor, 'manual', note))
      .where('id', '=', found.id)
      .where('status', '=', 'pending')
      .returningAll()
      .returning(signalBreached.as('breached'))
      .executeTakeFirst();
    if (!row) {
      throw new AppError('invalid_status_transition', 'This signal is already resolved', {
        details: { id: found.id, status: 'resolved' },
      });
    }
    const signal = toSignal(row as SignalRow);
    emitResolved(unit, services, handle, signal);
    return signal;
  });
}

/**
 * Opens a signal on a lead by hand (`system` or `email`), or refreshes the lead's pending one of
 * that type. The lead must be one the caller's `leads.write` reaches (404 when invisible). A lead
 * without an owner still gets it, unassigned (seen by scope `all`).
 */
export function openSignal(
  services: Services,
  caller: SignalCaller,
  input: CreateSignalInput,
): Promise<OpenedSignal> {
  const { handle, access, actor } = caller;
  return inTenantTransaction(services, handle, async (unit) => {
    const lead = await requireVisibleLead(unit.trx, access, input.leadId, { write: true });
    const opened = await openSignalWithin(
      unit,
      services,
      handle,
      { type: input.type, leadId: lead.id, content: input.content, at: new Date(), actor },
      { ownerRequired: false },
    );
    return opened!;
  });
}
