import type { ColumnType, Generated } from 'kysely';

export type LeadStatus =
  'new' | 'contacted' | 'qualified' | 'proposal' | 'negotiation' | 'won' | 'lost' | 'dormant';

export interface LeadsTable {
  id: Generated<string>;
  number: Generated<number>;
  first_name: string | null;
  last_name: string | null;
  phone: string;
  email: string | null;
  company: string | null;
  source: string | null;
  city: string | null;
  state: string | null;
  pincode: string | null;
  language: string | null;
  status: Generated<LeadStatus>;
  tags: Generated<string[]>;
  score: Generated<number>;
  /** The score was set by hand: automatic scoring leaves it until it is cleared. */
  score_manual: Generated<boolean>;
  follow_up_at: Date | null;
  /** The lead's pipeline and stage, when the tenant runs leads through one (issue 19). */
  pipeline_id: Generated<string | null>;
  stage_id: Generated<string | null>;
  stage_entered_at: Generated<Date | null>;
  custom_fields: ColumnType<Record<string, unknown>, string | undefined, string>;
  assigned_agent_id: string | null;
  assigned_at: Date | null;
  unassigned_reason: string | null;
  contact_id: string | null;
  archived_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** The newest activity entry's time (set with every insert into lead_activities). */
  last_activity_at: ColumnType<Date | null, Date | undefined, Date>;
  /** lower(first name + ' ' + last name), generated: the name sort key. */
  sort_name: ColumnType<string, never, never>;
  search_text: ColumnType<string, never, never>;
  search_vector: ColumnType<string, never, never>;
  /** Never called (issue 21): set by hand, or when the lead asks. */
  do_not_call: Generated<boolean>;
  /** The state of the lead's latest call (`queued`, `ringing`, `in-progress`, `completed`, …). */
  call_status: Generated<string | null>;
  call_attempts: Generated<number>;
  calls_answered: Generated<number>;
  calls_missed: Generated<number>;
  calls_not_connected: Generated<number>;
  calls_switched_off: Generated<number>;
  last_contact_at: Generated<Date | null>;
  call_disposition: Generated<string | null>;
  call_disposition_reason: Generated<string | null>;
}

export interface LeadsTables {
  leads: LeadsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends LeadsTables {}
}
