import type { Actor } from '../auth/access.js';
import { everyLead } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import { checkCallAllowed, leadTimezones, loadCallSettings, type CallSettings } from '../call-rules/index.js';
import { AppError } from '../http/app-error.js';
import { findLeadRow } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { requireTelephony, TelephonyError, type TelephonyChannel } from '../telephony/index.js';
import type { CallRow } from './call.mapper.js';
import { ownStatusEvent, recordStatusEvent } from './call-status.js';
import { callbackUrl } from './call-urls.js';
import { emitCall } from './call-realtime.js';
import type { CallMode } from './calls.tables.js';

import type { CallServices } from './call-services.js';

export interface PlaceCallInput {
  leadId: string;
  /**
   * The salesperson the call is for: bridged to when the lead answers (dialer), or rung first
   * (click-to-call); null for a dialer call placed ahead of a free salesperson (dial ratio > 1).
   */
  agentId: string | null;
  mode: Exclude<CallMode, 'inbound'>;
  /** The queue entry a dialer call is an attempt of. */
  queueEntry?: { id: string; campaign: string; attempt: number };
  now: Date;
  actor: Actor;
  /** The caller applied the compliance rules already (the dialer checks a page of entries at once). */
  complianceChecked?: boolean;
}

/** The caller id to call `to` from: one of the same country calling code when there is one, else the first. */
export function pickCallerId(callerIds: string[], to: string): string {
  const sameCountry = callerIds.find((id) => id.slice(0, 3) === to.slice(0, 3));
  return sameCountry ?? callerIds[0]!;
}

/**
 * Places one call through the tenant's telephony provider: `recordOutboundCall` in a unit of
 * work of its own, then `dialRecordedCall`. A refusal by the provider is rethrown as a
 * `TelephonyError` (after the call was ended as `failed`).
 */
export async function placeCall(
  services: CallServices,
  handle: TenantHandle,
  input: PlaceCallInput,
): Promise<CallRow> {
  const channel = await requireTelephony(services, handle);
  const { row, settings } = await inTenantTransaction(services, handle, async (unit) => {
    const settings = await loadCallSettings(handle, unit.trx);
    return { row: await recordOutboundCall(unit, services, handle, channel, settings, input), settings };
  });
  return dialRecordedCall(services, handle, channel, row, settings);
}

/**
 * Records an outbound call (status `queued`, the lead's attempt counted) in `unit`, after the
 * compliance rules allowed it under the lead's lock (409 `call_not_allowed` otherwise). The
 * provider is asked only once this commits (`dialRecordedCall`), so its callbacks, which may
 * arrive before its answer does, always find the call. A call without a salesperson (the dialer
 * over-dialling) gets one when the lead answers.
 */
export async function recordOutboundCall(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  channel: TelephonyChannel,
  settings: CallSettings,
  input: PlaceCallInput,
): Promise<CallRow> {
  const lead = await findLeadRow(unit.trx, everyLead, input.leadId, { forUpdate: true });
  if (!lead || lead.archived_at)
    throw new AppError('not_found', 'No such lead', { details: { id: input.leadId } });
  let agentPhone: string | null = null;
  if (input.agentId) {
    const agent = await unit.trx
      .selectFrom('agents')
      .select(['id', 'phone'])
      .where('id', '=', input.agentId)
      .executeTakeFirst();
    if (!agent) throw new AppError('not_found', 'No such agent', { details: { id: input.agentId } });
    if (!agent.phone) {
      throw AppError.invalidFields([
        { path: 'body.agentId', message: 'The agent has no phone number to take the call on' },
      ]);
    }
    agentPhone = agent.phone;
  }
  const verdict = input.complianceChecked
    ? { allowed: true as const }
    : await checkCallAllowed(unit.trx, {
        leadId: lead.id,
        phone: lead.phone,
        timezones: await leadTimezones(lead.phone, handle.tenant.timezone),
        settings,
        now: input.now,
      });
  if (!verdict.allowed) {
    throw new AppError('call_not_allowed', `Calling this lead now is not allowed: ${verdict.reason}`, {
      details: { reason: verdict.reason, retryAt: verdict.retryAt },
    });
  }
  const row = await unit.trx
    .insertInto('calls')
    .values({
      lead_id: lead.id,
      agent_id: input.agentId,
      queue_entry_id: input.queueEntry?.id ?? null,
      campaign: input.queueEntry?.campaign ?? null,
      direction: 'outbound',
      mode: input.mode,
      from_number: pickCallerId(channel.callerIds, lead.phone),
      to_number: lead.phone,
      agent_number: agentPhone,
      attempt: input.queueEntry?.attempt ?? 1,
      queued_at: input.now,
      tried_agent_ids: input.agentId ? [input.agentId] : [],
      ...actorColumns(input.actor),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await unit.trx
    .updateTable('leads')
    .set((eb) => ({ call_attempts: eb('call_attempts', '+', 1), call_status: 'queued' }))
    .where('id', '=', lead.id)
    .execute();
  unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, 'call.queued', row));
  return row;
}

/** Asks the provider to place a call `recordOutboundCall` recorded (and committed). */
export async function dialRecordedCall(
  services: CallServices,
  handle: TenantHandle,
  channel: TelephonyChannel,
  row: CallRow,
  settings: CallSettings,
): Promise<CallRow> {
  const url = (kind: Parameters<typeof callbackUrl>[3]) =>
    callbackUrl(services.config.publicBaseUrl, handle.tenant.clientCode, row.id, kind);
  try {
    const placed = await channel.provider.placeCall({
      // Click-to-call rings the salesperson first; the answer webhook then dials the lead.
      to: row.mode === 'click_to_call' ? row.agent_number! : row.to_number,
      from: row.from_number,
      answerUrl: url('answer'),
      statusCallbackUrl: url('status'),
      timeoutSeconds: settings.timeoutSeconds,
      machineDetection: row.mode === 'dialer' && settings.machineDetection,
    });
    const updated = await handle.db
      .updateTable('calls')
      .set({ provider_call_sid: placed.callSid, updated_at: new Date() })
      .where('id', '=', row.id)
      .where('provider_call_sid', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return updated ?? row;
  } catch (error) {
    if (!(error instanceof TelephonyError)) throw error;
    await recordStatusEvent(
      services,
      handle,
      row.id,
      ownStatusEvent('failed', new Date(), {
        // A refusal that may pass later keeps its kind (the dialer retries it without counting an attempt).
        errorCode: error.retryable || error.providerCode === null ? error.kind : String(error.providerCode),
        errorMessage: error.message,
      }),
    );
    throw error;
  }
}
