import type { Selectable } from 'kysely';
import type { DealsTable } from './deals.tables.js';
import type { Deal } from './deal.schemas.js';

/** A deal row as `dealSelection` reads it: its columns with its pipeline, stage and owner. */
export type DealRow = Selectable<DealsTable> & {
  pipeline_number: string;
  pipeline_name: string;
  stage_name: string;
  stage_position: number;
  stage_outcome: 'won' | 'lost' | null;
  stage_probability: number;
  owner_name: string | null;
  rotting: boolean;
};

export const dealRef = (number: string | number) => `D-${number}`;

const isoDate = (value: Date | string | null) =>
  value === null ? null : typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);

export function toDeal(row: DealRow): Deal {
  return {
    id: row.id,
    ref: dealRef(row.number),
    title: row.title,
    pipeline: { id: row.pipeline_id, ref: `PW-${row.pipeline_number}`, name: row.pipeline_name },
    stage: {
      id: row.stage_id,
      name: row.stage_name,
      position: row.stage_position,
      outcome: row.stage_outcome,
      enteredAt: row.stage_entered_at,
    },
    leadId: row.lead_id,
    contactId: row.contact_id,
    ownerId: row.owner_agent_id,
    owner: row.owner_agent_id && row.owner_name ? { id: row.owner_agent_id, name: row.owner_name } : null,
    amount: Number(row.amount),
    currency: row.currency,
    probability: row.probability ?? row.stage_probability,
    probabilityOverridden: row.probability !== null,
    expectedCloseDate: isoDate(row.expected_close_date),
    followUpAt: row.follow_up_at,
    status: row.status,
    closeReason: row.close_reason,
    closedAt: row.closed_at,
    rotting: row.rotting,
    tags: row.tags,
    customFields: row.custom_fields,
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
