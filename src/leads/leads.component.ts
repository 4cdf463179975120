import type { Component } from '../app/component.js';
import { registerBulkLeadRoutes } from './bulk.routes.js';
import { forwardLeadEventsToRealtime } from './lead-realtime.js';
import { registerLeadRoutes } from './leads.routes.js';

export const leadsComponent: Component = {
  name: 'leads',
  routes: ({ crm }, services) => {
    forwardLeadEventsToRealtime(services.leadEvents, services.realtime);
    services.realtime.allowSubscription('agent', async (handle, agentId) => {
      const agent = await handle.db
        .selectFrom('agents')
        .select('id')
        .where('id', '=', agentId)
        .executeTakeFirst();
      return agent !== undefined;
    });
    registerBulkLeadRoutes(crm, services);
    registerLeadRoutes(crm, services);
  },
};
