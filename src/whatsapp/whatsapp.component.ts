import type { Component } from '../app/component.js';
import { registerInboxRoutes } from './inbox/inbox.routes.js';
import { syncTemplatesCron } from './templates/templates.job.js';
import { registerTemplateRoutes } from './templates/templates.routes.js';
import { registerWebhookRoutes } from './webhook/webhook.routes.js';
import { whatsappJobs } from './whatsapp.jobs.js';

export const whatsappComponent: Component = {
  name: 'whatsapp',
  routes: ({ open, crm }, services) => {
    registerWebhookRoutes(open, services);
    registerInboxRoutes(crm, services);
    registerTemplateRoutes(crm, services);
  },
  jobs: whatsappJobs,
  cron: [syncTemplatesCron],
};
