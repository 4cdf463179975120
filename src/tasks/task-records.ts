import type { Access } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { findDealRow } from '../deals/index.js';
import { contactVisibleTo, requireLeadRow } from '../leads/index.js';

/** The record a task is about, its owner (the default assignee) and the lead automations act on. */
export interface TaskRecord {
  leadId: string | null;
  contactId: string | null;
  dealId: string | null;
  ownerAgentId: string | null;
}

export const noRecord: TaskRecord = { leadId: null, contactId: null, dealId: null, ownerAgentId: null };

/** The record named by `leadId`, `contactId` or `dealId` (at most one), as the caller sees it (else 404). */
export async function resolveTaskRecord(
  trx: TenantDb,
  access: Access,
  input: { leadId?: string; contactId?: string; dealId?: string },
): Promise<TaskRecord> {
  const named = (['leadId', 'contactId', 'dealId'] as const).filter((key) => input[key] !== undefined);
  if (named.length > 1) {
    throw AppError.invalidFields(
      named.map((key) => ({
        path: `body.${key}`,
        message: 'A task is about one record: name one of leadId, contactId, dealId',
      })),
    );
  }
  const visibility = access.visibility('leads.read');
  if (input.leadId) {
    const lead = await requireLeadRow(trx, visibility, input.leadId);
    return { ...noRecord, leadId: lead.id, ownerAgentId: lead.assigned_agent_id };
  }
  if (input.dealId) {
    const deal = orNotFound(await findDealRow(trx, visibility, input.dealId), 'Deal', { id: input.dealId });
    return { ...noRecord, dealId: deal.id, ownerAgentId: deal.owner_agent_id };
  }
  if (input.contactId) {
    const contact = orNotFound(
      await trx
        .selectFrom('contacts')
        .leftJoin('leads', 'leads.id', 'contacts.lead_id')
        .select(['contacts.id', 'leads.assigned_agent_id'])
        .where('contacts.id', '=', input.contactId)
        .where(contactVisibleTo(visibility))
        .executeTakeFirst(),
      'Contact',
      { id: input.contactId },
    );
    return { ...noRecord, contactId: contact.id, ownerAgentId: contact.assigned_agent_id };
  }
  return noRecord;
}

/** The lead automations act on for a task: its lead, its deal's lead, its contact's lead. */
export async function leadOfTask(
  trx: TenantDb,
  task: { lead_id: string | null; deal_id: string | null; contact_id: string | null },
): Promise<string | null> {
  if (task.lead_id) return task.lead_id;
  if (task.deal_id) {
    const deal = await trx
      .selectFrom('deals')
      .select('lead_id')
      .where('id', '=', task.deal_id)
      .executeTakeFirst();
    return deal?.lead_id ?? null;
  }
  if (task.contact_id) {
    const contact = await trx
      .selectFrom('contacts')
      .select('lead_id')
      .where('id', '=', task.contact_id)
      .executeTakeFirst();
    return contact?.lead_id ?? null;
  }
  return null;
}
