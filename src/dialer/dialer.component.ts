import type { Component } from '../app/component.js';
import { registerComplianceRoutes } from './compliance/compliance.routes.js';
import { onDoNotCallChanged, onLeadMessageReceived } from './compliance/do-not-call-hooks.js';

/** Automated calling (issue 21): so far its compliance part, the calling settings and the do-not-call list. */
export const dialerComponent: Component = {
  name: 'dialer',
  routes: ({ crm }, services) => registerComplianceRoutes(crm, services),
  recordHooks: {
    'leads.do_not_call_changed': onDoNotCallChanged,
    'whatsapp.lead_message_received': onLeadMessageReceived,
  },
};
