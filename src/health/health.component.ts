import type { Component } from '../app/component.js';
import { registerHealthRoutes } from './health.routes.js';
import { registerPlatformStatsRoutes } from './platform-stats.routes.js';

export const healthComponent: Component = {
  name: 'health',
  routes: ({ open, platform }, services) => {
    registerHealthRoutes(open, services);
    registerPlatformStatsRoutes(platform, services);
  },
};
