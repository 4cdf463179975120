import { pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import { findCampaign, listCampaignRecipients, listCampaigns } from './campaign.repository.js';
import {
  campaignSchema,
  createCampaignBody,
  listCampaignsQuery,
  listRecipientsQuery,
  recipientSchema,
} from './campaign.schemas.js';
import { cancelCampaign, createCampaign } from './campaign.service.js';
import { idParams } from './email.schemas.js';

/** Email campaigns: a template sent to a lead filter's audience, with progress and per-recipient status. */
export function registerCampaignRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'channels.manage',
      path: '/email/campaigns',
      summary: 'Create a campaign: a template sent to the leads a list filter selects, now or at sendAt',
      tag: 'Email campaigns',
      body: createCampaignBody,
      response: campaignSchema,
      errors: { 404: 'No such email template' },
      handler: ({ req, body }) => createCampaign(services, callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'channels.manage',
      path: '/email/campaigns',
      summary: 'Campaigns, newest first, with their progress',
      tag: 'Email campaigns',
      query: listCampaignsQuery,
      response: pageSchema(campaignSchema),
      handler: ({ req, query }) => listCampaigns(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'channels.manage',
      path: '/email/campaigns/:id',
      summary: 'One campaign with its progress (recipients by status)',
      tag: 'Email campaigns',
      params: idParams,
      response: campaignSchema,
      errors: { 404: 'No such campaign' },
      handler: async ({ req, params }) =>
        orNotFound(await findCampaign(callerOf(req).handle.db, params.id), 'Campaign'),
    })
    .route({
      method: 'get',
      permission: 'channels.manage',
      path: '/email/campaigns/:id/recipients',
      summary: "A campaign's recipients with their status and SMTP response",
      tag: 'Email campaigns',
      params: idParams,
      query: listRecipientsQuery,
      response: pageSchema(recipientSchema),
      errors: { 404: 'No such campaign' },
      handler: async ({ req, params, query }) => {
        const { db } = callerOf(req).handle;
        orNotFound(await findCampaign(db, params.id), 'Campaign');
        return listCampaignRecipients(db, params.id, query);
      },
    })
    .route({
      method: 'post',
      permission: 'channels.manage',
      path: '/email/campaigns/:id/cancel',
      summary: 'Cancel a scheduled or sending campaign (queued recipients are not sent)',
      tag: 'Email campaigns',
      params: idParams,
      status: 200,
      response: campaignSchema,
      errors: { 404: 'No such campaign', 409: 'campaign_finished: already completed or cancelled' },
      handler: ({ req, params }) => cancelCampaign(services, callerOf(req).handle, params.id),
    });
}
