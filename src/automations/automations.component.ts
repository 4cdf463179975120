import type { Component } from '../app/component.js';
import { automationCron } from './automations.cron.js';
import { callWebhookJob } from './call-webhook.job.js';
import { channelActionJobs } from './channel-actions.job.js';
import { registerEventRoute } from './events.routes.js';
import { followUpReminderJob } from './follow-up-reminder.job.js';
import { drainOnLeadEvents } from './internal-events.js';
import { resumeRunJob } from './resume-run.job.js';
import { registerAutomationRuleRoutes } from './rules.routes.js';
import { registerRunRoutes } from './runs.routes.js';
import { registerWebhookSecretRoutes } from './webhook-secret.routes.js';

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
  jobs: [callWebhookJob, ...channelActionJobs, resumeRunJob, followUpReminderJob],
  cron: automationCron,
};
