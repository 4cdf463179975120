import type { Component } from '../../app/component.js';
import { registerCallStatsRoutes } from './call-stats.routes.js';

/** Call statistics; temporary wiring until the calls component registers these routes itself. */
export const callStatsComponent: Component = {
  name: 'call-stats',
  routes: ({ crm }, services) => registerCallStatsRoutes(crm, services),
};
