import { sql } from 'kysely';
import { Access, everyLead } from '../../auth/access.js';
import { systemActor } from '../../auth/actors.js';
import { toAppError } from '../../http/error-handler.js';
import { ingestLead } from '../../leads/index.js';
import type { LeadContext } from '../../leads/index.js';
import { toLead } from '../../leads/index.js';
import { selectLeads } from '../../leads/index.js';
import { normalisePhone } from '../../leads/index.js';
import { ingestLeadSchema, type Lead } from '../../leads/index.js';
import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { loadScoringSettings } from '../../scoring/index.js';
import { inTenantTransaction, type TenantUnitOfWork } from '../../tenancy/unit-of-work.js';

type LinkContext = JobContext<unknown, Pick<AppServices, 'leadEvents' | 'queue' | 'servers' | 'realtime'>>;

export interface ConversationContact {
  conversationId: string;
  /** The sender's WhatsApp id: the international number without `+`. */
  waId: string;
  contactName: string | null;
}

/** The actor written to the activity log of leads WhatsApp creates. */
export const whatsappActor = systemActor('whatsapp');

/**
 * The conversation's lead: found by the sender's phone, or created with source `whatsapp`
 * through the CRM's ingest use case (same dedupe, scoring, assignment and lead events).
 * Two jobs linking the same new sender at once end on the same lead: the ingest dedupe is
 * the phone's unique index, and the conversation keeps the first lead id stored.
 * A sender whose wa_id is not a valid phone number is left without a lead. `within` runs in the
 * unit of work that links the conversation, with the lead it is linked to.
 */
export async function linkConversationToLead(
  ctx: LinkContext,
  contact: ConversationContact,
  within?: (unit: TenantUnitOfWork<unknown>, leadId: string) => Promise<void>,
): Promise<Lead | null> {
  let phone: string;
  try {
    // A wa_id is always international (no `+`); the tenant's country only reads other forms.
    phone = normalisePhone(`+${contact.waId}`, ctx.handle.tenant.defaultCountry);
  } catch {
    return null;
  }
  const parsed = ingestLeadSchema.safeParse({
    phone,
    name: contact.contactName?.trim().slice(0, 240) || undefined,
    source: 'whatsapp',
  });
  if (!parsed.success) return null;
  const leadContext: LeadContext = {
    handle: ctx.handle,
    actor: whatsappActor,
    access: Access.tenantWide(),
    events: ctx.services.leadEvents,
    services: ctx.services,
  };
  let lead: Lead;
  try {
    ({ lead } = await ingestLead(leadContext, parsed.data));
  } catch (error) {
    if (toAppError(error).status >= 500) throw error;
    ctx.logger.warn({ waId: contact.waId, err: error }, 'whatsapp sender not linked to a lead');
    return null;
  }
  const linked = await inTenantTransaction(ctx.services, ctx.handle, async (unit) => {
    const row = await unit.trx
      .updateTable('conversations')
      .set({ lead_id: sql<string>`coalesce(lead_id, ${lead.id})`, updated_at: new Date() })
      .where('id', '=', contact.conversationId)
      .returning('lead_id')
      .executeTakeFirstOrThrow();
    await within?.(unit, row.lead_id!);
    return row;
  });
  if (linked.lead_id === lead.id) return lead;
  return loadLead(ctx, linked.lead_id!);
}

/** The lead a conversation is already linked to, as lead events carry it. */
export async function loadLead(ctx: LinkContext, leadId: string): Promise<Lead | null> {
  const [row, scoring] = await Promise.all([
    selectLeads(ctx.handle.db, everyLead).where('id', '=', leadId).executeTakeFirst(),
    loadScoringSettings(ctx.handle),
  ]);
  return row ? toLead(row, scoring.hotThreshold) : null;
}
