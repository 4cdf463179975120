import { sql } from 'kysely';
import { loadCallSettings } from '../call-rules/index.js';
import { listAvailableAgents } from '../presence/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { bridgeTwiml, sayAndHangUp } from '../telephony/index.js';
import { lockAgentChoice } from './bridge-call.js';
import { settleOutcome } from './call-status.js';
import { callbackUrl } from './call-urls.js';
import { emitCall } from './call-realtime.js';
import { ensureCallerLead, type CallerLeadServices } from './caller-lead.js';

export interface InboundCall {
  callSid: string;
  from: string;
  to: string;
  at: Date;
}

/**
 * A customer calls one of the tenant's numbers (the number's voice URL points here). The call is
 * logged (`inbound`) on the caller's lead, made first when the caller is new (`ensureCallerLead`);
 * it rings the lead's owner when they can take it, else the next free salesperson. Nobody free, or nobody picks up
 * (the dial's result), makes it a missed call, which opens a `call` signal for the lead's owner.
 */
export async function receiveCall(
  services: CallerLeadServices,
  handle: TenantHandle,
  inbound: InboundCall,
): Promise<string> {
  const callerPhone = await ensureCallerLead(services, handle, inbound.from);
  return inTenantTransaction(services, handle, async (unit) => {
    const existing = await unit.trx
      .selectFrom('calls')
      .select('id')
      .where('provider_call_sid', '=', inbound.callSid)
      .executeTakeFirst();
    const settings = await loadCallSettings(handle, unit.trx);
    const lead = await unit.trx
      .selectFrom('leads')
      .select(['id', 'assigned_agent_id'])
      .where('phone', '=', callerPhone ?? inbound.from)
      .where('archived_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    await lockAgentChoice(unit.trx);
    const free = await listAvailableAgents(unit.trx, {
      tenantTimezone: handle.tenant.timezone,
      at: inbound.at,
      limit: 50,
    });
    const agent = free.find((candidate) => candidate.id === lead?.assigned_agent_id) ?? free[0];
    const row = existing
      ? await unit.trx.selectFrom('calls').selectAll().where('id', '=', existing.id).executeTakeFirstOrThrow()
      : await unit.trx
          .insertInto('calls')
          .values({
            lead_id: lead?.id ?? null,
            agent_id: agent?.id ?? null,
            direction: 'inbound',
            mode: 'inbound',
            provider_call_sid: inbound.callSid,
            from_number: inbound.from,
            to_number: inbound.to,
            agent_number: agent?.phone ?? null,
            status: 'ringing',
            queued_at: inbound.at,
            ringing_at: inbound.at,
            tried_agent_ids: agent ? sql<string[]>`array[${agent.id}]::uuid[]` : sql<string[]>`'{}'::uuid[]`,
            actor: 'inbound call',
            actor_type: 'system',
          })
          .returningAll()
          .executeTakeFirstOrThrow();
    if (!existing) unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, 'call.ringing', row));
    if (!row.agent_id || !row.agent_number) {
      const ended = await unit.trx
        .updateTable('calls')
        .set({ status: 'completed', ended_at: inbound.at, updated_at: new Date() })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await settleOutcome(unit, services, handle, ended);
      return sayAndHangUp(settings.abandonMessage);
    }
    const url = (kind: Parameters<typeof callbackUrl>[3]) =>
      callbackUrl(services.config.publicBaseUrl, handle.tenant.clientCode, row.id, kind);
    return bridgeTwiml({
      agentNumber: row.agent_number,
      callerId: inbound.from,
      timeoutSeconds: settings.timeoutSeconds,
      record: settings.recording,
      dialActionUrl: url('dial'),
      bridgeStatusUrl: url('bridge'),
      recordingStatusUrl: url('recording'),
    });
  });
}
