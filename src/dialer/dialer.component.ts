import type { Component } from '../app/component.js';
import { registerCallQueueRoutes } from './call-queue.routes.js';
import { dialerJobs } from './dialer.jobs.js';
import { moveQueueEntryOn } from './queue-outcome.js';

/** The dialer (issue 21): the priority call queue, and the per-tenant job that dials it. */
export const dialerComponent: Component = {
  name: 'dialer',
  routes: ({ crm }, services) => registerCallQueueRoutes(crm, services),
  jobs: dialerJobs,
  recordHooks: { 'calls.ended': moveQueueEntryOn },
};
