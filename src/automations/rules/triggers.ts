/** Triggers a client fires through `POST /api/automations/events`. */
export const externalTriggers = [
  'appointment_confirmed',
  'product_purchased',
  'service_enrolled',
  'form_submitted',
  'appointment_reminder',
  'deal_won',
  'deal_lost',
  'tag_added',
  'tag_removed',
] as const;

/** Triggers only the system fires (lead lifecycle, inbound WhatsApp, due follow-ups). */
export const internalTriggers = [
  'lead_created',
  'lead_assigned',
  'lead_status_changed',
  'whatsapp_message_received',
  'follow_up_due',
  // Sales pipeline (issue 19): a lead, contact or deal entered another stage; sat in its stage too long; a quotation accepted.
  'stage_changed',
  'lead_rotting',
  'deal_rotting',
  'quotation_accepted',
  // Work management (issue 20): a task's SLA reached its at-risk threshold, or its deadline.
  'sla_at_risk',
  'sla_breached',
] as const;

export const triggers = [...externalTriggers, ...internalTriggers] as const;

export type ExternalTrigger = (typeof externalTriggers)[number];
export type InternalTrigger = (typeof internalTriggers)[number] | 'deal_won' | 'deal_lost';
export type Trigger = (typeof triggers)[number];
