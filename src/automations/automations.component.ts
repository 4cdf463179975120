import type { Component } from '../app/component.js';
import { automationCron } from './automations.cron.js';
import { automationsJobs } from './automations.jobs.js';
import { registerEventRoute } from './events.routes.js';
import { drainOnLeadEvents } from './internal-events.js';
import { registerAutomationRuleRoutes } from './rules.routes.js';
import { registerRunRoutes } from './runs.routes.js';
import { registerWebhookSecretRoutes } from './webhook-secret.routes.js';

export const automationsComponent: Component = {
  name: 'automations',
  routes: ({ automations, crm }, services) => {
    drainOnLeadEvents(services);
    registerEventRoute(automations, '/events', services);
    registerEventRoute(crm, '/automations/events', services);
    registerAutomationRuleRoutes(automations, services);
    registerRunRoutes(automations, services);
    registerWebhookSecretRoutes(automations);
  },
  jobs: automationsJobs,
  cron: automationCron,
};
