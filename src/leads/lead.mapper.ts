import type { Selectable } from 'kysely';
import type { Lead } from './lead.schemas.js';
import type { LeadsTable } from './leads.tables.js';

export type LeadRow = Omit<Selectable<LeadsTable>, 'search_text' | 'search_vector' | 'sort_name'> & {
  /** The assigned agent's name, read in the same statement as the lead (see `leadSelection`). */
  assigned_agent_name: string | null;
};

export const leadRef = (number: number) => `LD-${number}`;

export function toLead(row: LeadRow, hotThreshold: number): Lead {
  return {
    id: row.id,
    ref: leadRef(row.number),
    firstName: row.first_name,
    lastName: row.last_name,
    name: [row.first_name, row.last_name].filter(Boolean).join(' '),
    phone: row.phone,
    email: row.email,
    company: row.company,
    source: row.source,
    city: row.city,
    state: row.state,
    pincode: row.pincode,
    language: row.language,
    status: row.status,
    tags: row.tags,
    score: row.score,
    scoreManual: row.score_manual,
    hot: row.score > hotThreshold,
    followUpAt: row.follow_up_at,
    customFields: row.custom_fields,
    assignedAgentId: row.assigned_agent_id,
    assignedAgent: row.assigned_agent_id
      ? { id: row.assigned_agent_id, name: row.assigned_agent_name ?? '' }
      : null,
    assignedAt: row.assigned_at,
    unassignedReason: row.unassigned_reason,
    contactId: row.contact_id,
    pipelineId: row.pipeline_id,
    stageId: row.stage_id,
    stageEnteredAt: row.stage_entered_at,
    archivedAt: row.archived_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActivityAt: row.last_activity_at,
    doNotCall: row.do_not_call,
    callStatus: row.call_status,
    callAttempts: row.call_attempts,
    callCount: {
      answered: row.calls_answered,
      missed_call: row.calls_missed,
      not_connected: row.calls_not_connected,
      switched_off: row.calls_switched_off,
    },
    lastContactAt: row.last_contact_at,
    disposition: row.call_disposition,
    dispositionReason: row.call_disposition_reason,
  };
}
