import type { Component } from '../app/component.js';
import { registerCalendarRoutes } from './calendars.routes.js';

export const calendarsComponent: Component = {
  name: 'calendars',
  routes: ({ crm }) => registerCalendarRoutes(crm),
};
