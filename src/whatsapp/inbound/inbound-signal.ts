import type { AppServices } from '../../app/services.js';
import { openSignalWithin } from '../../signals/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import type { TenantUnitOfWork } from '../../tenancy/unit-of-work.js';
import type { StoredInbound } from './inbound-store.js';
import { announce } from '../../tenancy/record-hooks.js';

/** A new inbound message on a lead (stored on a linked conversation, or linked to the lead later). */
export interface LeadMessageReceived {
  leadId: string;
  conversationId: string;
  messageId: string;
  /** The message's type as the inbox shows it (`text`, `button`, `interactive`, `image`, …). */
  type: string;
  body: string | null;
  at: Date;
}

declare module '../../tenancy/record-hooks.js' {
  interface RecordHooks {
    /**
     * Announced once per new inbound message on a lead, in the unit of work that stored it (or
     * that linked its conversation to the lead): the dialer reads a request not to be called.
     */
    'whatsapp.lead_message_received': LeadMessageReceived;
  }
}

/**
 * A new inbound message on a lead is announced (`whatsapp.lead_message_received`) and opens (or refreshes) the lead's pending `whatsapp` signal for its
 * owner, in the unit of work that stored the message or linked its conversation to the lead, so it
 * is counted exactly once. A lead without an owner gets no signal: nobody is waited on.
 */
export async function signalInbound(
  unit: TenantUnitOfWork<unknown>,
  services: Pick<AppServices, 'realtime'>,
  handle: TenantHandle,
  stored: StoredInbound,
  leadId: string,
): Promise<void> {
  await announce(unit.trx, 'whatsapp.lead_message_received', {
    leadId,
    conversationId: stored.conversationId,
    messageId: stored.messageId,
    type: stored.type,
    body: stored.body,
    at: stored.at,
  });
  await openSignalWithin(
    unit,
    services,
    handle,
    {
      type: 'whatsapp',
      leadId,
      content: stored.body ?? `[${stored.type}]`,
      at: stored.at,
      source: { kind: 'conversation', id: stored.conversationId },
    },
    { ownerRequired: true },
  );
}
