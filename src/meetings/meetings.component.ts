import type { Component } from '../app/component.js';
import { registerMeetingRoutes } from './meetings.routes.js';
import { pollConferenceJob } from './poll-conference.job.js';

export const meetingsComponent: Component = {
  name: 'meetings',
  routes: ({ crm }, services) => registerMeetingRoutes(crm, services),
  jobs: [pollConferenceJob],
};
