import type { Component } from '../app/component.js';
import { registerImportRoutes } from './imports.routes.js';
import { importsJobs } from './imports.jobs.js';

export const importsComponent: Component = {
  name: 'imports',
  routes: ({ crm }, services) => registerImportRoutes(crm, services),
  jobs: importsJobs,
};
