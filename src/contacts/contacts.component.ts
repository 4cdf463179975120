import type { Component } from '../app/component.js';
import { registerContactRoutes } from './contacts.routes.js';

export const contactsComponent: Component = {
  name: 'contacts',
  routes: ({ crm }, services) => registerContactRoutes(crm, services),
};
