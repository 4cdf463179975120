import type { Component } from '../app/component.js';
import { registerInboxRoutes } from './inbox/inbox.routes.js';
import { downloadMediaJob } from './inbound/media.job.js';
import { processEventJob } from './inbound/process-event.job.js';
import { sendMessageJob } from './sending/send-message.job.js';
import { syncTemplatesCron, syncTemplatesJob } from './templates/templates.job.js';
import { registerTemplateRoutes } from './templates/templates.routes.js';
import { registerWebhookRoutes } from './webhook/webhook.routes.js';

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
