import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

type ActorType = Actor['type'];

export type DealStatus = 'open' | 'won' | 'lost' | 'closed' | 'order_created';

export interface DealsTable {
  id: Generated<string>;
  number: Generated<string>;
  title: string;
  pipeline_id: string;
  stage_id: string;
  stage_entered_at: Generated<Date>;
  lead_id: string | null;
  contact_id: string | null;
  owner_agent_id: string | null;
  /** Minor units of `currency`; bigint, read as a string by the pg driver. */
  amount: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  currency: string;
  probability: number | null;
  follow_up_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  expected_close_date: ColumnType<Date | string | null, string | null | undefined, string | null>;
  status: Generated<DealStatus>;
  close_reason: string | null;
  closed_at: Date | null;
  tags: Generated<string[]>;
  custom_fields: ColumnType<Record<string, unknown>, string | undefined, string>;
  last_activity_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface DealActivitiesTable {
  id: Generated<string>;
  deal_id: string;
  kind: string;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface DealNotesTable {
  id: Generated<string>;
  deal_id: string;
  body: string;
  author: string | null;
  author_type: ActorType | null;
  author_id: string | null;
  created_at: Generated<Date>;
}

export interface DealsTables {
  deals: DealsTable;
  deal_activities: DealActivitiesTable;
  deal_notes: DealNotesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends DealsTables {}
}
