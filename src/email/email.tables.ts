import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface EmailTemplatesTable {
  id: Generated<string>;
  name: string;
  subject: string;
  html: string;
  text: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface EmailSuppressionsTable {
  address: string;
  reason: 'unsubscribed' | 'bounced' | 'manual';
  created_at: CreatedAt;
}

/** `skipped` (a lead without an email address) and `cancelled` only occur in campaigns. */
export type EmailStatus = 'queued' | 'sent' | 'failed' | 'suppressed' | 'skipped' | 'cancelled';

export interface EmailMessagesTable {
  id: Generated<string>;
  to_address: string;
  template_id: string | null;
  /** Inline content (no template): the final subject and plain-text body. */
  subject: ColumnType<string | null, string | null | undefined, string | null>;
  body_text: ColumnType<string | null, string | null | undefined, string | null>;
  variables: ColumnType<Record<string, unknown>, string | undefined, string>;
  campaign_id: string | null;
  lead_id: string | null;
  status: Generated<EmailStatus>;
  smtp_response: string | null;
  provider_message_id: string | null;
  sent_at: Date | null;
  /** Set while a send is with the SMTP server (see `sendEmail`): at most one delivery. */
  send_started_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type CampaignStatus = 'scheduled' | 'sending' | 'completed' | 'cancelled';

export interface EmailCampaignsTable {
  id: Generated<string>;
  name: string;
  template_id: string | null;
  audience: ColumnType<Record<string, unknown>, string, string>;
  variables: ColumnType<Record<string, unknown>, string, string>;
  status: Generated<CampaignStatus>;
  send_at: Date;
  rate_per_minute: number;
  expanded_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface EmailTables {
  email_campaigns: EmailCampaignsTable;
  email_templates: EmailTemplatesTable;
  email_suppressions: EmailSuppressionsTable;
  email_messages: EmailMessagesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends EmailTables {}
}
