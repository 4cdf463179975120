import type { Component } from '../app/component.js';
import { registerInboxRoutes } from './inbox.routes.js';
import { downloadMediaJob } from './media.job.js';
import { processEventJob } from './process-event.job.js';
import { sendMessageJob } from './send-message.job.js';
import { syncTemplatesCron, syncTemplatesJob } from './templates.job.js';
import { registerTemplateRoutes } from './templates.routes.js';
import { registerWebhookRoutes } from './webhook.routes.js';

export const whatsappComponent: Component = {
  name: 'whatsapp',
  routes: ({ open, crm }, services) => {
    registerWebhookRoutes(open, services);
    registerInboxRoutes(crm, services);
    registerTemplateRoutes(crm, services);
  },
  jobs: [processEventJob, downloadMediaJob, sendMessageJob, syncTemplatesJob],
  cron: [syncTemplatesCron],
};
