import type { Component } from '../app/component.js';
import { registerScoringRoutes } from './scoring.routes.js';

export const scoringComponent: Component = {
  name: 'scoring',
  routes: ({ crm }) => registerScoringRoutes(crm),
};
