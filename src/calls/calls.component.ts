import type { Component } from '../app/component.js';
import { callsJobs } from './calls.jobs.js';
import { registerCallRoutes } from './calls.routes.js';
import { registerTwilioWebhookRoutes } from './webhooks/twilio-webhooks.routes.js';

/** Calls (issue 21): the call log, click-to-call, the provider's signed callbacks and the call state machine. */
export const callsComponent: Component = {
  name: 'calls',
  routes: ({ crm, open }, services) => {
    registerCallRoutes(crm, services);
    registerTwilioWebhookRoutes(open, services);
  },
  jobs: callsJobs,
};
