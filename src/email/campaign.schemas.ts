import { z } from 'zod';
import { dateInput } from '../http/input-contract.js';
import { pageQuery } from '../http/pagination.js';
import { leadListQuerySchema } from '../leads/index.js';

/** The leads list's filters, without its paging and sorting. */
export const campaignAudienceSchema = leadListQuerySchema.omit({
  sort: true,
  order: true,
  limit: true,
  page: true,
  cursor: true,
});

export const defaultRatePerMinute = 600;

export const createCampaignBody = z.object({
  name: z.string().trim().min(1).max(200),
  templateId: z.uuid(),
  /** A lead filter as `GET /api/crm/leads` accepts it (`{}` = every live lead). */
  audience: z.record(z.string(), z.unknown()).default({}),
  /** Variables every recipient gets, under the lead's own (`firstName`, `lead.company`, …). */
  variables: z.record(z.string(), z.unknown()).default({}),
  /** Omitted or past: send now. */
  sendAt: dateInput().optional(),
  /** The campaign's sending rate, spread over batches. */
  ratePerMinute: z.number().int().min(1).max(100_000).default(defaultRatePerMinute),
});
export type CreateCampaignInput = z.infer<typeof createCampaignBody>;

export const listCampaignsQuery = z.object({ ...pageQuery });

export const recipientStatuses = ['queued', 'sent', 'failed', 'suppressed', 'skipped', 'cancelled'] as const;

const count = z.number().int();
/** Recipients by status; `suppressed` covers unsubscribed and bounced, `skipped` leads with no email. */
export const progressSchema = z.object({
  total: count,
  queued: count,
  sent: count,
  failed: count,
  suppressed: count,
  skipped: count,
  cancelled: count,
});
export type CampaignProgress = z.infer<typeof progressSchema>;

export const campaignSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  templateId: z.uuid().nullable(),
  audience: z.record(z.string(), z.unknown()),
  variables: z.record(z.string(), z.unknown()),
  status: z.enum(['scheduled', 'sending', 'completed', 'cancelled']),
  sendAt: z.date(),
  ratePerMinute: z.number().int(),
  expandedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
  cancelledAt: z.date().nullable(),
  createdAt: z.date(),
  progress: progressSchema,
});

export const listRecipientsQuery = z.object({
  status: z.enum(recipientStatuses).optional(),
  ...pageQuery,
});

export const recipientSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid().nullable(),
  to: z.string(),
  status: z.enum(recipientStatuses),
  smtpResponse: z.string().nullable(),
  sentAt: z.date().nullable(),
});
