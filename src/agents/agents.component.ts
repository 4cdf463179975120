import type { Component } from '../app/component.js';
import { registerAgentRoutes } from './agents.routes.js';

export const agentsComponent: Component = {
  name: 'agents',
  routes: ({ crm }, services) => registerAgentRoutes(crm, services),
};
