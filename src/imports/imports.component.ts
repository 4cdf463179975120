import type { Component } from '../app/component.js';
import { registerImportRoutes } from './imports.routes.js';
import { runImportJob } from './run-import.job.js';

export const importsComponent: Component = {
  name: 'imports',
  routes: ({ crm }, services) => registerImportRoutes(crm, services),
  jobs: [runImportJob],
};
