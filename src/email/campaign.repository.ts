import { pageOf, type Keyset } from '../http/pagination.js';
import { sql, type Selectable } from 'kysely';
import type { TenantDb } from '../db/tenant-database.js';
import { recipientStatuses, type CampaignProgress } from './campaign.schemas.js';
import type { EmailCampaignsTable } from './email.tables.js';

export type CampaignRow = Selectable<EmailCampaignsTable>;

export function toCampaign(row: CampaignRow, progress: CampaignProgress) {
  return {
    id: row.id,
    name: row.name,
    templateId: row.template_id,
    audience: row.audience,
    variables: row.variables,
    status: row.status,
    sendAt: row.send_at,
    ratePerMinute: row.rate_per_minute,
    expandedAt: row.expanded_at,
    completedAt: row.completed_at,
    cancelledAt: row.cancelled_at,
    createdAt: row.created_at,
    progress,
  };
}

const emptyProgress = (): CampaignProgress => ({
  total: 0,
  queued: 0,
  sent: 0,
  failed: 0,
  suppressed: 0,
  skipped: 0,
  cancelled: 0,
});

/** Recipient counts by status, for each campaign given. */
export async function campaignProgress(db: TenantDb, ids: string[]): Promise<Map<string, CampaignProgress>> {
  const progress = new Map(ids.map((id) => [id, emptyProgress()]));
  if (ids.length === 0) return progress;
  const rows = await db
    .selectFrom('email_messages')
    .select(['campaign_id', 'status', sql<number>`count(*)::int`.as('n')])
    .where('campaign_id', 'in', ids)
    .groupBy(['campaign_id', 'status'])
    .execute();
  for (const row of rows) {
    const counts = progress.get(row.campaign_id!)!;
    if ((recipientStatuses as readonly string[]).includes(row.status)) counts[row.status] = row.n;
    counts.total += row.n;
  }
  return progress;
}

export async function findCampaign(db: TenantDb, id: string) {
  const row = await db.selectFrom('email_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toCampaign(row, (await campaignProgress(db, [id])).get(id)!);
}

const campaignsKeyset: Keyset = {
  list: 'campaigns',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'desc',
};

/** Newest first. */
export async function listCampaigns(db: TenantDb, page: { limit: number; cursor?: string }) {
  const campaigns = await pageOf(
    db.selectFrom('email_campaigns').selectAll(),
    campaignsKeyset,
    page,
    (row) => row,
  );
  const progress = await campaignProgress(
    db,
    campaigns.items.map((row) => row.id),
  );
  return { ...campaigns, items: campaigns.items.map((row) => toCampaign(row, progress.get(row.id)!)) };
}

const recipientsKeyset: Keyset = {
  list: 'recipients',
  columns: [
    ['created_at', 'timestamp'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** A campaign's recipients in the order they were expanded. */
export async function listCampaignRecipients(
  db: TenantDb,
  campaignId: string,
  filter: { status?: (typeof recipientStatuses)[number]; limit: number; cursor?: string },
) {
  let select = db
    .selectFrom('email_messages')
    .select(['id', 'lead_id', 'to_address', 'status', 'smtp_response', 'sent_at'])
    .where('campaign_id', '=', campaignId);
  if (filter.status) select = select.where('status', '=', filter.status);
  return pageOf(select, recipientsKeyset, filter, (row) => ({
    id: row.id,
    leadId: row.lead_id,
    to: row.to_address,
    status: row.status,
    smtpResponse: row.smtp_response,
    sentAt: row.sent_at,
  }));
}
