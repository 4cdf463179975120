import type { Component } from '../app/component.js';
import { cohortsJobs } from './cohorts.jobs.js';
import { registerCohortRoutes } from './cohorts.routes.js';

export const cohortsComponent: Component = {
  name: 'cohorts',
  routes: ({ crm }, services) => registerCohortRoutes(crm, services),
  jobs: cohortsJobs,
};
