import type { Component } from '../app/component.js';
import { dealRottingCron } from './deal-rotting.cron.js';
import { registerDealRoutes } from './deals.routes.js';

export const dealsComponent: Component = {
  name: 'deals',
  routes: ({ crm }, services) => registerDealRoutes(crm, services),
  cron: [dealRottingCron],
};
