import type { Component } from '../app/component.js';
import { registerChannelRoutes } from './channels.routes.js';

export const channelsComponent: Component = {
  name: 'channels',
  routes: ({ crm }, services) => registerChannelRoutes(crm, services),
};
