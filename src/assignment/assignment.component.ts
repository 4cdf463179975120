import type { Component } from '../app/component.js';
import { registerRuleRoutes } from './rules.routes.js';

export const assignmentComponent: Component = {
  name: 'assignment',
  routes: ({ crm }) => registerRuleRoutes(crm),
};
