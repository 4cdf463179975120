import type { Component } from '../app/component.js';
import { expireQuotationsCron } from './quotations.cron.js';
import { quotationsJobs } from './quotations.jobs.js';
import { registerQuotationRoutes } from './quotations.routes.js';

/** Quotations of deals (issue 19): versions, server-side totals, PDF, sending, expiry. */
export const quotationsComponent: Component = {
  name: 'quotations',
  routes: ({ crm }, services) => registerQuotationRoutes(crm, services),
  jobs: quotationsJobs,
  cron: [expireQuotationsCron],
};
