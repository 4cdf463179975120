import type { Component } from '../app/component.js';
import { registerMeetingRoutes } from './meetings.routes.js';
import { meetingsJobs } from './meetings.jobs.js';

export const meetingsComponent: Component = {
  name: 'meetings',
  routes: ({ crm }, services) => registerMeetingRoutes(crm, services),
  jobs: meetingsJobs,
};
