import { sql } from 'kysely';
import { loadCallSettings, type CallSettings } from '../call-rules/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import { listAvailableAgents } from '../presence/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../tenancy/unit-of-work.js';
import { bridgeTwiml, dialLeadTwiml, hangUpTwiml, sayAndHangUp } from '../telephony/index.js';
import type { CallRow } from './call.mapper.js';
import { lockCall } from './call.repository.js';
import { applyStatus, ownStatusEvent, settleOutcome } from './call-status.js';
import { answeredByMachine, openStatuses } from './call-state.js';
import { callbackUrl } from './call-urls.js';
import { emitCall } from './call-realtime.js';
import type { CallServices } from './call-services.js';

/**
 * Serialises the choice of a salesperson for a call across every process (the dialer reserving
 * one, answered calls bridging to one), so two calls never pick the same free person.
 */
export async function lockAgentChoice(trx: TenantDb): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('switchyard.calls.agent_choice'))`.execute(trx);
}

/**
 * Whether the salesperson reserved for call `callId` can still take it: still active, available,
 * not away, with a phone, and on no other call.
 */
async function reservedAgentStillThere(
  trx: TenantDb,
  agentId: string,
  callId: string,
): Promise<{ phone: string } | undefined> {
  const agent = await trx
    .selectFrom('agents')
    .leftJoin('agent_presence', 'agent_presence.agent_id', 'agents.id')
    .select('agents.phone')
    .where('agents.id', '=', agentId)
    .where('agents.active', '=', true)
    .where('agents.available', '=', true)
    .where('agents.phone', 'is not', null)
    .where((eb) =>
      eb.or([eb('agent_presence.setting', 'is', null), eb('agent_presence.setting', '=', 'available')]),
    )
    // Not on another call meanwhile (a click-to-call of their own, say).
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('calls')
            .select('calls.id')
            .where('calls.agent_id', '=', agentId)
            .where('calls.id', '<>', callId)
            .where('calls.status', 'in', [...openStatuses]),
        ),
      ),
    )
    .executeTakeFirst();
  return agent?.phone ? { phone: agent.phone } : undefined;
}

/** Salespeople rung for one answered call before it is abandoned (the lead is waiting meanwhile). */
const maxAgentsPerCall = 2;

interface Answer {
  answeredBy: string | null;
  callSid: string | null;
  /** When the request arrived: the instant a salesperson is chosen for. */
  at: Date;
}

/**
 * The lead (dialer) or the salesperson (click-to-call) answered: the instructions for the rest
 * of the call. A dialer call goes to the salesperson reserved for it if they can still take it,
 * else to the next available one; with nobody free the lead hears the tenant's short message
 * and the call is **abandoned**. An answering machine is hung up on (not abandoned). A
 * click-to-call dials the lead now that the salesperson is on the line.
 */
export async function answerCall(
  services: CallServices,
  handle: TenantHandle,
  callId: string,
  answer: Answer,
): Promise<string> {
  return inTenantTransaction(services, handle, async (unit) => {
    const locked = await lockCall(unit.trx, callId);
    if (!locked) return hangUpTwiml();
    // The answer's instant comes with the provider's own `answered` callback (its Timestamp), not
    // with this request, which carries none: the state machine keeps one clock.
    const row = await unit.trx
      .updateTable('calls')
      .set((eb) => ({
        answered_by: eb.fn.coalesce('answered_by', eb.val(answer.answeredBy)),
        provider_call_sid: eb.fn.coalesce('provider_call_sid', eb.val(answer.callSid)),
        updated_at: new Date(),
      }))
      .where('id', '=', locked.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const settings = await loadCallSettings(handle, unit.trx);
    const urls = urlsOf(services, handle, row.id);
    if (row.mode === 'click_to_call') {
      return dialLeadTwiml({
        leadNumber: row.to_number,
        callerId: row.from_number,
        timeoutSeconds: settings.timeoutSeconds,
        record: settings.recording,
        dialActionUrl: urls.dial,
        bridgeStatusUrl: urls.bridge,
        recordingStatusUrl: urls.recording,
      });
    }
    if (answeredByMachine(row.answered_by)) return hangUpTwiml();
    return bridgeToAgent(unit, services, handle, row, settings, answer.at);
  });
}

/** The <Dial> to the reserved salesperson, else to the next free one; with none, the call is abandoned. */
async function bridgeToAgent(
  unit: TenantUnitOfWork<never>,
  services: CallServices,
  handle: TenantHandle,
  row: CallRow,
  settings: CallSettings,
  at: Date,
): Promise<string> {
  await lockAgentChoice(unit.trx);
  const firstTry = row.tried_agent_ids.length <= 1 && row.agent_id !== null && row.bridge_status === null;
  const reserved = firstTry ? await reservedAgentStillThere(unit.trx, row.agent_id!, row.id) : undefined;
  let agent: { id: string; phone: string } | undefined = reserved
    ? { id: row.agent_id!, phone: reserved.phone }
    : undefined;
  if (!agent && row.tried_agent_ids.length < maxAgentsPerCall + (firstTry ? 1 : 0)) {
    const [next] = await listAvailableAgents(unit.trx, {
      tenantTimezone: handle.tenant.timezone,
      at,
      exclude: row.tried_agent_ids,
      limit: 1,
    });
    agent = next && next.phone ? { id: next.id, phone: next.phone } : undefined;
  }
  if (!agent) {
    const abandoned = await unit.trx
      .updateTable('calls')
      .set({ abandoned: true, agent_id: null, updated_at: new Date() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await settleOutcome(unit, services, handle, abandoned);
    return sayAndHangUp(settings.abandonMessage);
  }
  if (agent.id !== row.agent_id || !row.tried_agent_ids.includes(agent.id)) {
    await unit.trx
      .updateTable('calls')
      .set({
        agent_id: agent.id,
        agent_number: agent.phone,
        tried_agent_ids: sql<string[]>`array_append(tried_agent_ids, ${agent.id}::uuid)`,
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .execute();
  }
  const urls = urlsOf(services, handle, row.id);
  return bridgeTwiml({
    agentNumber: agent.phone,
    callerId: row.from_number,
    timeoutSeconds: Math.min(settings.timeoutSeconds, 20),
    record: settings.recording,
    dialActionUrl: urls.dial,
    bridgeStatusUrl: urls.bridge,
    recordingStatusUrl: urls.recording,
  });
}

const urlsOf = (services: CallServices, handle: TenantHandle, callId: string) => {
  const url = (kind: Parameters<typeof callbackUrl>[3]) =>
    callbackUrl(services.config.publicBaseUrl, handle.tenant.clientCode, callId, kind);
  return { dial: url('dial'), bridge: url('bridge'), recording: url('recording') };
};

/**
 * The bridged leg's progress (the salesperson's phone for a dialer call, the lead's for a
 * click-to-call): once it answers the call is bridged (`call.bridged`, once).
 */
export async function recordBridgeStatus(
  services: CallServices,
  handle: TenantHandle,
  callId: string,
  event: { callSid: string; status: string; at: Date },
): Promise<void> {
  await inTenantTransaction(services, handle, async (unit) => {
    const row = await lockCall(unit.trx, callId);
    if (!row) return;
    const answered =
      event.status === 'in-progress' || event.status === 'answered' || event.status === 'completed';
    if (!answered) return;
    const updated = await unit.trx
      .updateTable('calls')
      .set({
        bridged_at: row.bridged_at && row.bridged_at <= event.at ? row.bridged_at : event.at,
        bridge_call_sid: row.bridge_call_sid ?? event.callSid,
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (!row.bridged_at)
      unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, 'call.bridged', updated));
  });
}

/**
 * The <Dial> is over (Twilio's `action` callback). A dialer call whose salesperson did not pick
 * up tries the next free one, else is abandoned; otherwise the call ends here. For a click-to-call
 * the dial's result is the lead's answer, and settles the call's outcome.
 */
export async function recordDialResult(
  services: CallServices,
  handle: TenantHandle,
  callId: string,
  result: { dialCallSid: string | null; dialCallStatus: string; durationSeconds: number | null; at: Date },
): Promise<string> {
  return inTenantTransaction(services, handle, async (unit) => {
    const row = await lockCall(unit.trx, callId);
    if (!row) return hangUpTwiml();
    const talked = result.dialCallStatus === 'completed' || result.dialCallStatus === 'answered';
    const updated = await unit.trx
      .updateTable('calls')
      .set({
        bridge_status: result.dialCallStatus,
        bridge_call_sid: row.bridge_call_sid ?? result.dialCallSid,
        ...(talked && !row.bridged_at ? { bridged_at: result.at } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // The leg's own answered callback may be late or lost: the dial's result says it talked.
    if (!row.bridged_at && updated.bridged_at) {
      unit.afterCommit(() => emitCall(services.realtime, handle.tenant.id, 'call.bridged', updated));
    }
    if (updated.mode === 'inbound') {
      // The number's own status callback is not ours: the call ends with its dial.
      await applyStatus(
        unit,
        services,
        handle,
        updated,
        ownStatusEvent('completed', result.at, { durationSeconds: result.durationSeconds }),
      );
      return hangUpTwiml();
    }
    if (updated.mode === 'click_to_call' || talked || updated.bridged_at) {
      await settleOutcome(unit, services, handle, updated);
      return hangUpTwiml();
    }
    // The salesperson did not take it: the lead is still on the line.
    const settings = await loadCallSettings(handle, unit.trx);
    return bridgeToAgent(unit, services, handle, updated, settings, result.at);
  });
}
