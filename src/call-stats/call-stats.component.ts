import type { Component } from '../app/component.js';
import { registerCallStatsRoutes } from './call-stats.routes.js';

/** Call statistics (issue 21): per salesperson from the call log, per campaign with its call queue. */
export const callStatsComponent: Component = {
  name: 'call-stats',
  routes: ({ crm }, services) => registerCallStatsRoutes(crm, services),
};
