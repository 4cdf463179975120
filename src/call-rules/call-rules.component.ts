import type { Component } from '../app/component.js';
import { registerComplianceRoutes } from './compliance.routes.js';
import { onDoNotCallChanged, onLeadMessageReceived } from './do-not-call-hooks.js';

/** Calling rules (issue 21): the tenant's calling settings, compliance and the do-not-call list. */
export const callRulesComponent: Component = {
  name: 'call-rules',
  routes: ({ crm }, services) => registerComplianceRoutes(crm, services),
  recordHooks: {
    'leads.do_not_call_changed': onDoNotCallChanged,
    'whatsapp.lead_message_received': onLeadMessageReceived,
  },
};
