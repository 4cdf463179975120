import type { Component } from '../app/component.js';
import { automationCron } from './crm-triggers/automations.cron.js';
import { automationsJobs } from './automations.jobs.js';
import { registerEventRoute } from './engine/events.routes.js';
import { drainOnLeadEvents } from './crm-triggers/internal-events.js';
import { registerAutomationRuleRoutes } from './rules/rules.routes.js';
import { registerRunRoutes } from './runs/runs.routes.js';
import { registerWebhookSecretRoutes } from './actions/webhook-secret.routes.js';

export const automationsComponent: Component = {
  name: 'automations',
  start: (services) => drainOnLeadEvents(services),
  routes: ({ automations, crm }, services) => {
    registerEventRoute(automations, '/events', services);
    registerEventRoute(crm, '/automations/events', services);
    registerAutomationRuleRoutes(automations, services);
    registerRunRoutes(automations, services);
    registerWebhookSecretRoutes(automations);
  },
  jobs: automationsJobs,
  cron: automationCron,
};
