import type { Kysely } from 'kysely';
import type { ActivityTables } from '../activity/activity.tables.js';
import type { AgentsTables } from '../agents/agents.tables.js';
import type { AssignmentRulesTables } from '../assignment/assignment-rules.tables.js';
import type { AutomationsTables } from '../automations/automations.tables.js';
import type { ContactsTables } from '../contacts/contacts.tables.js';
import type { LeadsTables } from '../leads/leads.tables.js';
import type { ChannelsTables } from '../channels/channels.tables.js';
import type { EmailTables } from '../email/email.tables.js';
import type { ImportsTables } from '../imports/imports.tables.js';
import type { MeetingsTables } from '../meetings/meetings.tables.js';
import type { SettingsTables } from '../settings/settings.tables.js';
import type { WhatsAppTenantTables } from '../whatsapp/whatsapp.tables.js';

/** Tables of one tenant's schema (`t_<code>`), one interface per owning component. */
export type TenantDatabase = SettingsTables &
  AgentsTables &
  LeadsTables &
  AssignmentRulesTables &
  ActivityTables &
  ContactsTables &
  WhatsAppTenantTables &
  EmailTables &
  MeetingsTables &
  ChannelsTables &
  AutomationsTables &
  ImportsTables;

export type TenantDb = Kysely<TenantDatabase>;
