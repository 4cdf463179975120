import type { Component } from '../app/component.js';
import { registerAccountRoutes } from './account.routes.js';
import { registerAuthRoutes } from './sessions/auth.routes.js';

/** Staff accounts: users, roles, teams, logins and sessions (issue 17). */
export const staffComponent: Component = {
  name: 'staff',
  routes(routers, services) {
    registerAuthRoutes(routers.auth, services);
    registerAccountRoutes(routers.auth, services);
  },
};
