import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
type Json<T = unknown> = ColumnType<T, string, string>;

export type MessageStatus =
  'received' | 'queued' | 'accepted' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export interface WhatsAppEventsTable {
  id: Generated<string>;
  payload: Json;
  received_at: CreatedAt;
  processed_at: Date | null;
}

export interface ConversationsTable {
  id: Generated<string>;
  channel: Generated<'whatsapp'>;
  phone_number_id: string;
  wa_id: string;
  contact_name: string | null;
  lead_id: string | null;
  unread_count: Generated<number>;
  last_inbound_at: Date | null;
  last_message_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MessagesTable {
  id: Generated<string>;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  wamid: string | null;
  type: string;
  body: string | null;
  content: Json<Record<string, unknown>>;
  status: MessageStatus;
  errors: Json<unknown[]> | null;
  media_id: string | null;
  media_mime_type: string | null;
  media_sha256: string | null;
  media_key: string | null;
  sent_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PendingStatusesTable {
  wamid: string;
  status: MessageStatus;
  status_at: Date;
  errors: Json<unknown[]> | null;
  received_at: CreatedAt;
}

export interface WhatsAppErrorsTable {
  id: Generated<string>;
  phone_number_id: string | null;
  code: number | null;
  title: string | null;
  details: Json;
  received_at: CreatedAt;
}

export interface WhatsAppTemplatesTable {
  name: string;
  language: string;
  template_id: string;
  status: string;
  category: string | null;
  parameter_format: string | null;
  components: Json<unknown[]>;
  synced_at: UpdatedAt;
  status_reason: string | null;
  status_info: Json<Record<string, unknown>> | null;
  quality_score: string | null;
  status_webhook_at: Date | null;
}

export interface WhatsAppTenantTables {
  whatsapp_events: WhatsAppEventsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  whatsapp_pending_statuses: PendingStatusesTable;
  whatsapp_errors: WhatsAppErrorsTable;
  whatsapp_templates: WhatsAppTemplatesTable;
}

export interface WhatsAppNumbersTable {
  phone_number_id: string;
  tenant_id: string;
  created_at: CreatedAt;
}

export interface WhatsAppBusinessAccountsTable {
  waba_id: string;
  tenant_id: string;
  created_at: CreatedAt;
}

export interface WhatsAppPlatformTables {
  whatsapp_numbers: WhatsAppNumbersTable;
  whatsapp_business_accounts: WhatsAppBusinessAccountsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends WhatsAppTenantTables {}
}

declare module '../db/platform-database.js' {
  interface PlatformDatabase extends WhatsAppPlatformTables {}
}
