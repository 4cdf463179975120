import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';
import { providerCallStatuses, type ProviderCallStatus } from '../telephony/index.js';

type ActorType = Actor['type'];

/** Twilio's call statuses, the provider-neutral states of a call's leg to the customer. */
export const callStatuses = providerCallStatuses;
export type CallStatus = ProviderCallStatus;

export const callOutcomes = ['answered', 'missed_call', 'not_connected', 'switched_off'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

export const callDispositions = [
  'follow_up',
  'push_to_advisory',
  'order_placed',
  'lead_closed',
  'prospect',
  'unqualified',
  'reassign',
  'dormant',
  'lost',
] as const;
export type CallDisposition = (typeof callDispositions)[number];

export type CallDirection = 'outbound' | 'inbound';
export type CallMode = 'dialer' | 'click_to_call' | 'inbound';

export interface CallsTable {
  id: Generated<string>;
  /** bigint, read as a string by the pg driver. */
  number: Generated<string>;
  lead_id: string | null;
  agent_id: string | null;
  queue_entry_id: string | null;
  campaign: string | null;
  direction: CallDirection;
  mode: CallMode;
  provider: Generated<string>;
  provider_call_sid: string | null;
  from_number: string;
  to_number: string;
  agent_number: string | null;
  status: Generated<CallStatus>;
  status_sequence: Generated<number>;
  outcome: CallOutcome | null;
  abandoned: Generated<boolean>;
  answered_by: string | null;
  sip_response_code: number | null;
  attempt: Generated<number>;
  queued_at: Date;
  initiated_at: Date | null;
  ringing_at: Date | null;
  answered_at: Date | null;
  bridged_at: Date | null;
  ended_at: Date | null;
  ring_seconds: number | null;
  talk_seconds: number | null;
  bridge_call_sid: string | null;
  bridge_status: string | null;
  tried_agent_ids: Generated<string[]>;
  recording_sid: string | null;
  recording_key: string | null;
  recording_seconds: number | null;
  /** numeric, read as a string by the pg driver. */
  price: string | null;
  price_unit: string | null;
  error_code: string | null;
  error_message: string | null;
  disposition: CallDisposition | null;
  disposition_reason: string | null;
  disposition_at: Date | null;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CallSettingsTable {
  id: Generated<boolean>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CallsTables {
  calls: CallsTable;
  call_settings: CallSettingsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends CallsTables {}
}
