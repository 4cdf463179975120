import { stopAll, type Component } from '../app/component.js';
import { CampaignProgress, campaignProgressKey } from './campaign-progress.js';
import { registerCampaignRoutes } from './campaigns.routes.js';
import { registerEmailRoutes } from './email.routes.js';
import { emailJobs } from './email.jobs.js';
import { registerUnsubscribeRoutes } from './unsubscribe.routes.js';
import { SmtpTransports, smtpTransportsKey } from './smtp-transports.js';

export const emailComponent: Component = {
  name: 'email',
  start: (services) =>
    stopAll(
      services.resources.provide(smtpTransportsKey, new SmtpTransports(services), (pools) => pools.close()),
      services.resources.provide(campaignProgressKey, new CampaignProgress(services), (progress) =>
        progress.stop(),
      ),
    ),
  routes: ({ open, crm }, services) => {
    registerUnsubscribeRoutes(open, services);
    registerEmailRoutes(crm, services);
    registerCampaignRoutes(crm, services);
  },
  jobs: emailJobs,
};
