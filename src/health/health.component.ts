import type { Component } from '../app/component.js';
import { registerHealthRoutes } from './health.routes.js';

export const healthComponent: Component = {
  name: 'health',
  routes: ({ open }, services) => registerHealthRoutes(open, services),
};
