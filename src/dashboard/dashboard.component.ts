import type { Component } from '../app/component.js';
import { registerDashboardRoutes } from './dashboard.routes.js';

export const dashboardComponent: Component = {
  name: 'dashboard',
  routes: ({ crm }) => registerDashboardRoutes(crm),
};
