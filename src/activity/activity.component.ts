import type { Component } from '../app/component.js';
import { registerActivityRoutes } from './activity.routes.js';

export const activityComponent: Component = {
  name: 'activity',
  routes: ({ crm }) => registerActivityRoutes(crm),
};
