import { sql } from 'kysely';
import { recordActivity } from '../activity/index.js';
import type { AppServices } from '../app/services.js';
import { createDealWithin, emitDealEvents, type ConvertDealInput, type Deal } from '../deals/index.js';
import { AppError } from '../http/app-error.js';
import { leadUnitDeps, type LeadContext } from '../leads/index.js';
import { leadSelection, toLead } from '../leads/index.js';
import { requireLeadToChange } from '../leads/index.js';
import type { Lead } from '../leads/index.js';
import { loadScoringSettings } from '../scoring/index.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { toContact } from './contact.repository.js';
import type { Contact } from './contact.schemas.js';

const convertibleStatuses: readonly string[] = ['qualified', 'proposal', 'negotiation', 'won'];

/**
 * Turns a qualified (or later) lead into a contact, linked both ways, once; with `deal`, also a
 * deal of the lead and the contact, owned by the lead's owner, in the same transaction.
 */
export async function convertLead(
  ctx: LeadContext,
  idOrRef: string,
  options: {
    deal?: ConvertDealInput;
    services?: Pick<AppServices, 'realtime'>;
    /** The caller's own agent profile (a deal's default owner when the lead has none). */
    ownAgentId?: string | null;
  } = {},
): Promise<{ contact: Contact; lead: Lead; deal?: Deal | null }> {
  const { handle, actor } = ctx;
  const scoring = await loadScoringSettings(handle);
  const converted = await inTenantTransaction(leadUnitDeps(ctx), handle, async ({ trx, publish }) => {
    const lead = await requireLeadToChange(trx, ctx.access, idOrRef, { forUpdate: true });
    if (lead.contact_id) {
      throw new AppError('conflict', 'This lead is already a contact', {
        details: { contactId: lead.contact_id },
      });
    }
    if (!convertibleStatuses.includes(lead.status)) {
      throw new AppError(
        'invalid_status_transition',
        'Only a qualified (or later) lead can become a contact',
        { details: { status: lead.status, allowed: convertibleStatuses } },
      );
    }
    const contact = await trx
      .insertInto('contacts')
      .values({
        lead_id: lead.id,
        first_name: lead.first_name,
        last_name: lead.last_name,
        phone: lead.phone,
        email: lead.email,
        company: lead.company,
        city: lead.city,
        state: lead.state,
        custom_fields: JSON.stringify(lead.custom_fields),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordActivity(trx, [
      { leadId: lead.id, kind: 'converted', actor, data: { contactId: contact.id } },
    ]);
    const updated = await trx
      .updateTable('leads')
      .set({ contact_id: contact.id, updated_at: new Date(), last_activity_at: sql<Date>`now()` })
      .where('id', '=', lead.id)
      .returning(leadSelection)
      .executeTakeFirstOrThrow();
    const converted = toLead(updated, scoring.hotThreshold);
    publish({ name: 'lead.updated', tenantId: handle.tenant.id, lead: converted });
    const deal = options.deal
      ? await createDealWithin(
          trx,
          { handle, actor, access: ctx.access, ownAgentId: options.ownAgentId ?? null },
          {
            ...options.deal,
            title:
              options.deal.title ??
              ([lead.first_name, lead.last_name].filter(Boolean).join(' ') || lead.phone),
            leadId: lead.id,
            contactId: contact.id,
            ownerId: lead.assigned_agent_id,
          },
          'body.deal',
        )
      : undefined;
    return { contact: toContact(contact), lead: converted, deal };
  });
  if (converted.deal && options.services) {
    emitDealEvents(options.services, handle.tenant.id, [
      { event: 'deal.created', deal: converted.deal, payload: converted.deal },
    ]);
  }
  return converted;
}
