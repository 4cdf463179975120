import type { Component } from '../app/component.js';
import { registerPlatformAuthRoutes } from './platform-staff/platform-auth.routes.js';
import { registerPlatformStaffRoutes } from './platform-staff/platform-staff.routes.js';
import { invitationSenderKey } from './invitations/invitation-sender.js';
import { inviteUser } from './invitations/invite-user.js';
import { registerRoleRoutes } from './roles/roles.routes.js';
import { registerAccountRoutes } from './account.routes.js';
import { registerAuthRoutes } from './sessions/auth.routes.js';
import { registerTeamRoutes } from './teams/teams.routes.js';
import { registerUserRoutes } from './users/users.routes.js';

/** Staff accounts: users, roles, teams, logins and sessions; platform staff (issue 17). */
export const staffComponent: Component = {
  name: 'staff',
  start(services) {
    return services.resources.provide(invitationSenderKey, (handle, userId, invitedBy) =>
      inviteUser(services, handle, userId, invitedBy),
    );
  },
  routes(routers, services) {
    registerAuthRoutes(routers.auth, services);
    registerPlatformAuthRoutes(routers.auth, services);
    registerPlatformStaffRoutes(routers.platform, services);
    registerUserRoutes(routers.crm, services);
    registerTeamRoutes(routers.crm, services);
    registerRoleRoutes(routers.crm, services);
    registerAccountRoutes(routers.auth, services);
  },
};
