import { sql } from 'kysely';
import { recordActivity } from '../activity/index.js';
import { AppError } from '../http/app-error.js';
import type { LeadContext } from '../leads/index.js';
import { leadSelection, toLead } from '../leads/index.js';
import type { Access } from '../auth/access.js';
import { requireVisibleLead } from '../leads/index.js';
import type { Lead } from '../leads/index.js';
import { loadScoringSettings } from '../scoring/index.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { toContact } from './contact.repository.js';
import type { Contact } from './contact.schemas.js';

const convertibleStatuses: readonly string[] = ['qualified', 'proposal', 'negotiation', 'won'];

/** Turns a qualified (or later) lead into a contact, linked both ways, once. */
export async function convertLead(
  ctx: LeadContext,
  access: Access,
  idOrRef: string,
): Promise<{ contact: Contact; lead: Lead }> {
  const { handle, actor } = ctx;
  const scoring = await loadScoringSettings(handle);
  return inTenantTransaction({ leadEvents: ctx.events }, handle, async ({ trx, publish }) => {
    const lead = await requireVisibleLead(trx, access, idOrRef, { forUpdate: true, write: true });
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
    return { contact: toContact(contact), lead: converted };
  });
}
