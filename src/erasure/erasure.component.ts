import type { Component } from '../app/component.js';
import { registerErasureRoutes } from './erasure.routes.js';

/** Erasure of one person's personal data (ARCHITECTURE.md "Personal data"). */
export const erasureComponent: Component = {
  name: 'erasure',
  routes: ({ crm }, services) => registerErasureRoutes(crm, services),
};
