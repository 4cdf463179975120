import type { Component } from '../app/component.js';
import { registerCampaignRoutes } from './campaigns.routes.js';
import { registerEmailRoutes } from './email.routes.js';
import { emailJobs } from './email.jobs.js';
import { registerUnsubscribeRoutes } from './unsubscribe.routes.js';

export const emailComponent: Component = {
  name: 'email',
  routes: ({ open, crm }, services) => {
    registerUnsubscribeRoutes(open, services);
    registerEmailRoutes(crm, services);
    registerCampaignRoutes(crm, services);
  },
  jobs: emailJobs,
};
