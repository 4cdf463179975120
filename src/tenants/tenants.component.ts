import type { Component } from '../app/component.js';
import { registerPlatformTenantRoutes } from './platform.routes.js';
import { registerTenantProfileRoutes } from './tenant-profile.routes.js';

export const tenantsComponent: Component = {
  name: 'tenants',
  routes: ({ platform, crm }, services) => {
    registerPlatformTenantRoutes(platform, services);
    registerTenantProfileRoutes(crm, services.config);
  },
};
