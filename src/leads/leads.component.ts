import { stopAll, type Component } from '../app/component.js';
import { registerBulkLeadRoutes } from './bulk.routes.js';
import { forwardLeadEventsToRealtime } from './lead-realtime.js';
import { registerLeadRoutes } from './leads.routes.js';

export const leadsComponent: Component = {
  name: 'leads',
  start: (services) =>
    stopAll(
      forwardLeadEventsToRealtime(services.leadEvents, services.realtime),
      // An agent's room: for a user, only an agent their `leads.read` scope reaches.
      services.realtime.allowSubscription('agent', async (handle, agentId, access) => {
        if (!access.reaches('leads.read', agentId)) return false;
        const agent = await handle.db
          .selectFrom('agents')
          .select('id')
          .where('id', '=', agentId)
          .executeTakeFirst();
        return agent !== undefined;
      }),
    ),
  routes: ({ crm }, services) => {
    registerBulkLeadRoutes(crm, services);
    registerLeadRoutes(crm, services);
  },
};
