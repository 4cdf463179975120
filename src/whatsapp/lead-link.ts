import type { JobContext } from '../queue/job-types.js';

export interface ConversationContact {
  conversationId: string;
  waId: string;
  contactName: string | null;
}

/**
 * INTEGRATION POINT with the CRM core (leads, assignment, automations; not on this branch):
 * find the sender's lead by phone (`waId`), or create it with source `whatsapp` and assign
 * it through the assignment engine, fire the `whatsapp_message_received` trigger, and
 * return the lead id. Until wired, conversations keep `lead_id` null.
 */
export async function linkConversationToLead(
  _ctx: JobContext,
  _contact: ConversationContact,
): Promise<string | null> {
  return null;
}
