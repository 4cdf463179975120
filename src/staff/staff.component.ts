import type { Component } from '../app/component.js';
import { registerPlatformAuthRoutes } from './platform-staff/platform-auth.routes.js';
import { registerPlatformStaffRoutes } from './platform-staff/platform-staff.routes.js';
import { registerAuthRoutes } from './sessions/auth.routes.js';

/** Staff accounts: users, roles, teams, logins and sessions; platform staff (issue 17). */
export const staffComponent: Component = {
  name: 'staff',
  routes(routers, services) {
    registerAuthRoutes(routers.auth, services);
    registerPlatformAuthRoutes(routers.auth, services);
    registerPlatformStaffRoutes(routers.platform, services);
  },
};
