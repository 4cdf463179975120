import type { Component } from '../app/component.js';
import { registerLocalMediaRoute } from './storage.routes.js';

export const storageComponent: Component = {
  name: 'storage',
  routes: ({ open }, services) => registerLocalMediaRoute(open, services),
};
