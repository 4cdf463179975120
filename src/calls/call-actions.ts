import { recordActivity } from '../activity/index.js';
import { AppError } from '../http/app-error.js';
import type { ActingCaller } from '../http/request-context.js';
import { orNotFound } from '../http/or-not-found.js';
import { requireVisibleLead, requireWritable } from '../leads/index.js';
import { announcePresence, endWrapUp } from '../presence/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { TelephonyError } from '../telephony/index.js';
import { callRef, toCall } from './call.mapper.js';
import { findCallRow, lockCall } from './call.repository.js';
import type { Call, ClickToCallInput, DispositionInput } from './call.schemas.js';
import type { CallServices } from './call-services.js';
import { placeCall } from './place-call.js';

/** A provider's refusal as the API answers it (a client may correct a number; the rest is upstream). */
export function telephonyAppError(error: TelephonyError): AppError {
  const details = { reason: error.kind, providerCode: error.providerCode };
  if (error.kind === 'rate_limited') {
    return new AppError('rate_limited', 'The telephony provider is rate limiting: try again later', {
      details: { ...details, retryAfterMs: error.retryAfterMs },
    });
  }
  if (error.kind === 'invalid_number' || error.kind === 'invalid_caller_id') {
    return new AppError('call_rejected', `The telephony provider refused the call: ${error.message}`, {
      details,
    });
  }
  return new AppError('provider_error', `The telephony provider failed: ${error.message}`, { details });
}

/**
 * Click-to-call: the salesperson's phone rings first, and once they answer the lead is dialled
 * (`answerCall`). The caller must be able to change the lead; the salesperson is the caller's own
 * agent unless they name one their `leads.write` reaches. The same compliance rules as the dialer.
 */
export async function clickToCall(
  services: CallServices,
  caller: ActingCaller,
  input: ClickToCallInput,
): Promise<Call> {
  const { handle, access, actor } = caller;
  const lead = await requireVisibleLead(handle.db, access, input.leadId, { write: true });
  const agentId = input.agentId ?? caller.ownAgentId;
  if (!agentId) {
    throw AppError.invalidFields([
      { path: 'body.agentId', message: 'Name the salesperson whose phone rings first' },
    ]);
  }
  requireWritable(access.reaches('leads.write', agentId));
  try {
    const row = await placeCall(services, handle, {
      leadId: lead.id,
      agentId,
      mode: 'click_to_call',
      now: new Date(),
      actor,
    });
    return toCall(row);
  } catch (error) {
    throw error instanceof TelephonyError ? telephonyAppError(error) : error;
  }
}

/**
 * The salesperson's disposition after the call, with a reason: on the call and on the lead (its
 * latest disposition), on the lead's timeline; it ends their wrap-up, so the dialer may ring them.
 */
export async function recordDisposition(
  services: CallServices,
  caller: ActingCaller,
  idOrRef: string,
  input: DispositionInput,
): Promise<Call> {
  const { handle, access, actor } = caller;
  const visible = orNotFound(await findCallRow(handle.db, access.visibility('leads.read'), idOrRef), 'Call', {
    id: idOrRef,
  });
  requireWritable(
    access.reaches('leads.write', visible.agent_id) ||
      (visible.lead_id !== null && (await leadWritable(handle, caller, visible.lead_id))),
  );
  return inTenantTransaction(services, handle, async (unit) => {
    const call = (await lockCall(unit.trx, visible.id))!;
    const now = new Date();
    const updated = await unit.trx
      .updateTable('calls')
      .set({
        disposition: input.disposition,
        disposition_reason: input.reason ?? null,
        disposition_at: now,
        updated_at: now,
      })
      .where('id', '=', call.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (call.lead_id) {
      await unit.trx
        .updateTable('leads')
        .set({
          call_disposition: input.disposition,
          call_disposition_reason: input.reason ?? null,
          updated_at: now,
        })
        .where('id', '=', call.lead_id)
        .execute();
      await recordActivity(unit.trx, [
        {
          leadId: call.lead_id,
          kind: 'call_disposition',
          actor,
          data: {
            callId: call.id,
            ref: callRef(call.number),
            disposition: input.disposition,
            reason: input.reason ?? null,
          },
        },
      ]);
    }
    if (call.agent_id && call.ended_at) {
      await endWrapUp(unit.trx, call.agent_id);
      await announcePresence(unit, services, handle.tenant.id, call.agent_id, now);
    }
    return toCall(updated);
  });
}

async function leadWritable(handle: TenantHandle, caller: ActingCaller, leadId: string): Promise<boolean> {
  const lead = await handle.db
    .selectFrom('leads')
    .select('assigned_agent_id')
    .where('id', '=', leadId)
    .executeTakeFirst();
  return lead !== undefined && caller.access.reaches('leads.write', lead.assigned_agent_id);
}
