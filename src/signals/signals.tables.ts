import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

type ActorType = Actor['type'];

export const signalTypes = ['whatsapp', 'call', 'email', 'system'] as const;
export type SignalType = (typeof signalTypes)[number];
export type SignalStatus = 'pending' | 'resolved';
export type SignalResolution = 'replied' | 'manual';

export interface SignalsTable {
  id: Generated<string>;
  /** bigint, read as a string by the pg driver. */
  number: Generated<string>;
  type: SignalType;
  lead_id: string | null;
  contact_id: string | null;
  deal_id: string | null;
  owner_agent_id: string | null;
  content: string | null;
  inbound_count: Generated<number>;
  status: Generated<SignalStatus>;
  sla_seconds: number;
  sla_deadline: Date;
  opened_at: Date;
  last_inbound_at: Date;
  breach_notified_at: Date | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolved_by_type: ActorType | null;
  resolved_by_id: string | null;
  resolution: SignalResolution | null;
  resolution_note: string | null;
  source_kind: string | null;
  source_id: string | null;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SignalsTables {
  signals: SignalsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends SignalsTables {}
}
