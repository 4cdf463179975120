import type { Component } from '../app/component.js';
import { leadRottingCron } from './pipelines.cron.js';
import { registerPipelineRoutes } from './pipelines.routes.js';

export const pipelinesComponent: Component = {
  name: 'pipelines',
  routes: ({ crm }, services) => registerPipelineRoutes(crm, services),
  cron: [leadRottingCron],
};
