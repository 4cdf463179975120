import type { Component } from '../app/component.js';
import { registerSlaPolicyRoutes } from './sla-policies.routes.js';
import { onDealFollowUpChanged, onFollowUpChanged } from './follow-up-tasks.js';
import { onStageEntered } from './stage-tasks.js';
import { tasksJobs } from './tasks.jobs.js';
import { registerTaskRoutes } from './tasks.routes.js';

/** Tasks with SLAs in business time, SLA policies, timers at the instant (issue 20). */
export const tasksComponent: Component = {
  name: 'tasks',
  routes: ({ crm }, services) => {
    registerTaskRoutes(crm, services);
    registerSlaPolicyRoutes(crm);
  },
  jobs: tasksJobs,
  recordHooks: {
    'pipelines.stage_entered': onStageEntered,
    'leads.follow_up_changed': onFollowUpChanged,
    'deals.follow_up_changed': onDealFollowUpChanged,
  },
};
