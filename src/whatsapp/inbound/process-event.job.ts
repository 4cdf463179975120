import { z } from 'zod';
import type { Lead } from '../../leads/index.js';
import type { AppServices } from '../../app/services.js';
import type { JobContext, JobPayloads } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import type { InboundMessage } from './inbound-message.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import { storeInboundMessage, type StoredInbound } from './inbound-store.js';
import { signalInbound } from './inbound-signal.js';
import { linkConversationToLead, loadLead } from './lead-link.js';
import { fireMessageReceived } from './message-received-trigger.js';
import { downloadMediaJobKind } from './media.job.js';
import { conversationOwner } from '../inbox/conversations.repository.js';
import { applyPendingStatuses, applyStatus, outboundStatuses, type AppliedStatus } from './message-status.js';
import { applyAccountChange } from '../templates/template-webhooks.js';
import type { StoredEvent } from '../webhook/webhook-payload.js';
import { isUuid } from '../../http/uuid.js';

const statusSchema = z.looseObject({
  id: z.string(),
  status: z.enum(outboundStatuses),
  timestamp: z.string(),
  errors: z.array(z.unknown()).optional(),
  biz_opaque_callback_data: z.string().optional(),
});

const valueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string() }),
  contacts: z
    .array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string() }).optional() }))
    .optional(),
  messages: z
    .array(z.looseObject({ id: z.string(), from: z.string(), timestamp: z.string(), type: z.string() }))
    .optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.looseObject({ code: z.number().optional(), title: z.string().optional() })).optional(),
});

/** Jobs, dashboards and lead events, and the automation engine's unit of work (inbound-message trigger). */
type ProcessServices = Pick<AppServices, 'queue' | 'servers' | 'realtime' | 'leadEvents'>;
type ProcessEventsContext = JobContext<JobPayloads['whatsapp.process_event'], ProcessServices>;
type ProcessContext = JobContext<unknown, ProcessServices>;

/**
 * Turns stored webhook events (one write's batch) into conversations, messages and status changes,
 * in order. Each event is marked processed on its own, so a retried job skips those done before it
 * failed (processing an event again would be harmless, only slower: every write is idempotent).
 */
export async function processEvents(ctx: ProcessEventsContext): Promise<void> {
  const { db } = ctx.handle;
  const { payload } = ctx.job;
  const ids = 'eventIds' in payload ? payload.eventIds : [payload.eventId];
  const events = await db
    .selectFrom('whatsapp_events')
    .select(['id', 'payload', 'processed_at'])
    .where('id', 'in', ids)
    .execute();
  const byId = new Map(events.map((event) => [event.id, event]));
  for (const id of ids) {
    const event = byId.get(id);
    if (event && !event.processed_at) await processEvent(ctx, id, event.payload as StoredEvent);
  }
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new PermanentJobError(`No such WhatsApp event: ${missing.join(', ')}`, 'not_found');
}

async function processEvent(ctx: ProcessContext, id: string, event: StoredEvent): Promise<void> {
  for (const change of event.changes) {
    if (change.field !== 'messages') {
      await applyAccountChange(ctx, change);
      continue;
    }
    const value = valueSchema.safeParse(change.value);
    if (!value.success) {
      ctx.logger.warn({ issues: value.error.issues }, 'whatsapp change with an unexpected shape skipped');
      continue;
    }
    await processValue(ctx, value.data);
  }
  await ctx.handle.db
    .updateTable('whatsapp_events')
    .set({ processed_at: new Date() })
    .where('id', '=', id)
    .execute();
}

async function processValue(ctx: ProcessContext, value: z.infer<typeof valueSchema>): Promise<void> {
  const { db, tenant } = ctx.handle;
  const phoneNumberId = value.metadata.phone_number_id;
  const names = new Map(
    (value.contacts ?? []).map((contact) => [contact.wa_id, contact.profile?.name ?? null]),
  );

  const leads = new Map<string, Promise<Lead | null>>();
  const leadOf = (leadId: string) => {
    if (!leads.has(leadId)) leads.set(leadId, loadLead(ctx, leadId));
    return leads.get(leadId)!;
  };

  for (const message of value.messages ?? []) {
    const stored = await inTenantTransaction(ctx.services, ctx.handle, async (unit) => {
      const stored = await storeInboundMessage(
        unit.trx,
        phoneNumberId,
        message as InboundMessage,
        names.get(message.from) ?? null,
      );
      if (stored.created && stored.leadId)
        await signalInbound(unit, ctx.services, ctx.handle, stored, stored.leadId);
      return stored;
    });
    if (stored.hasMediaToFetch) {
      await ctx.services.queue.enqueue(
        tenant.id,
        downloadMediaJobKind,
        { messageId: stored.messageId },
        { idempotencyKey: `whatsapp-media:${stored.messageId}` },
      );
    }
    // Linked even for a redelivered message, in case an earlier attempt failed before linking;
    // the message's signal goes with the link (the conversation had no lead when it was stored).
    const lead = stored.leadId
      ? undefined
      : await linkConversationToLead(
          ctx,
          {
            conversationId: stored.conversationId,
            waId: message.from,
            contactName: names.get(message.from) ?? null,
          },
          (unit, leadId) => signalInbound(unit, ctx.services, ctx.handle, stored, leadId),
        );
    const senderLead = lead === undefined ? await leadOf(stored.leadId!) : lead;
    if (senderLead) {
      await fireMessageReceived(ctx, senderLead, {
        id: message.id,
        type: message.type,
        body: stored.body,
        conversationId: stored.conversationId,
      });
    }
    if (!stored.created) continue;
    // Message events reach the sockets that see the conversation's lead (no lead: the tenant room).
    ctx.services.realtime.emitForLead(tenant.id, senderLead?.assignedAgentId ?? null, 'message.received', {
      messageId: stored.messageId,
      conversationId: stored.conversationId,
      type: message.type,
    });
    publishMessageReceived(ctx, stored, senderLead, message.type);
  }

  for (const raw of value.statuses ?? []) {
    const parsed = statusSchema.safeParse(raw);
    if (!parsed.success) {
      ctx.logger.warn({ status: raw }, 'whatsapp status with an unexpected shape skipped');
      continue;
    }
    const status = parsed.data;
    let applied: AppliedStatus | null = null;
    const ourId = status.biz_opaque_callback_data;
    if (ourId && isUuid(ourId)) {
      // The send job may not have stored the wamid yet: our id travels with the message.
      const claimed = await db
        .updateTable('messages')
        .set({ wamid: status.id })
        .where('id', '=', ourId)
        .where('direction', '=', 'outbound')
        .where('wamid', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (claimed) applied = await applyPendingStatuses(db, status.id);
    }
    applied =
      (await applyStatus(db, {
        wamid: status.id,
        status: status.status,
        at: new Date(Number(status.timestamp) * 1000 || Date.now()),
        errors: status.errors ?? null,
      })) ?? applied;
    if (applied) {
      const owner = await conversationOwner(db, applied.conversationId);
      ctx.services.realtime.emitForLead(tenant.id, owner, 'message.status', {
        ...applied,
        errors: status.errors ?? null,
      });
    }
  }

  for (const error of value.errors ?? []) {
    await db
      .insertInto('whatsapp_errors')
      .values({
        phone_number_id: phoneNumberId,
        code: error.code ?? null,
        title: error.title ?? null,
        details: JSON.stringify(error),
      })
      .execute();
    ctx.logger.warn({ error, phoneNumberId }, 'whatsapp reported a system error');
  }
}

/** A lead event for dashboards and in-process listeners, published once per new message. */
function publishMessageReceived(ctx: ProcessContext, stored: StoredInbound, lead: Lead | null, type: string) {
  if (!lead) return;
  ctx.services.leadEvents.publish([
    {
      name: 'lead.whatsapp_message_received',
      tenantId: ctx.handle.tenant.id,
      lead,
      data: { conversationId: stored.conversationId, messageId: stored.messageId, type, body: stored.body },
    },
  ]);
}
