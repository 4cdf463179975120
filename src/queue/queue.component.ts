import type { Component } from '../app/component.js';
import { registerPlatformJobRoutes, registerTenantJobRoutes } from './jobs.routes.js';
import { pruneJobsTask } from './queue.cron.js';

export const queueComponent: Component = {
  name: 'queue',
  routes: ({ automations, platform }, services) => {
    registerTenantJobRoutes(automations, services);
    registerPlatformJobRoutes(platform, services);
  },
  cron: [pruneJobsTask],
};
