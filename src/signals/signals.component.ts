import type { Component } from '../app/component.js';
import { signalsJobs } from './signals.jobs.js';
import { registerSignalRoutes } from './signals.routes.js';

/** Signals (issue 20): customers waiting on an answer, with an SLA in business time. */
export const signalsComponent: Component = {
  name: 'signals',
  routes: ({ crm }, services) => registerSignalRoutes(crm, services),
  jobs: signalsJobs,
};
