import type { Component } from '../app/component.js';
import { automationCron } from './crm-triggers/automations.cron.js';
import { callWebhookJob } from './actions/call-webhook.job.js';
import { channelActionJobs } from './actions/channel-actions.job.js';
import { registerEventRoute } from './engine/events.routes.js';
import { followUpReminderJob } from './crm-triggers/follow-up-reminder.job.js';
import { drainOnLeadEvents } from './crm-triggers/internal-events.js';
import { resumeRunJob } from './runs/resume-run.job.js';
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
  jobs: [callWebhookJob, ...channelActionJobs, resumeRunJob, followUpReminderJob],
  cron: automationCron,
};
