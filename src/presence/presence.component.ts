import type { Component } from '../app/component.js';
import { presenceJobs } from './presence.jobs.js';
import { followAgentSockets } from './presence-sockets.js';
import { registerPresenceRoutes } from './presence.routes.js';

/** Agent presence (issue 21): sockets, the agent's own setting and calls, for dashboards and the dialer. */
export const presenceComponent: Component = {
  name: 'presence',
  start: (services) => followAgentSockets(services),
  routes: ({ crm }, services) => registerPresenceRoutes(crm, services),
  jobs: presenceJobs,
};
