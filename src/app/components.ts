import { activityComponent } from '../activity/activity.component.js';
import { agentsComponent } from '../agents/agents.component.js';
import { assignmentComponent } from '../assignment/assignment.component.js';
import { automationsComponent } from '../automations/automations.component.js';
import { channelsComponent } from '../channels/channels.component.js';
import { contactsComponent } from '../contacts/contacts.component.js';
import { emailComponent } from '../email/email.component.js';
import { healthComponent } from '../health/health.component.js';
import { importsComponent } from '../imports/imports.component.js';
import { leadsComponent } from '../leads/leads.component.js';
import { meetingsComponent } from '../meetings/meetings.component.js';
import { queueComponent } from '../queue/queue.component.js';
import { scoringComponent } from '../scoring/scoring.component.js';
import { storageComponent } from '../storage/storage.component.js';
import { tenantsComponent } from '../tenants/tenants.component.js';
import { whatsappComponent } from '../whatsapp/whatsapp.component.js';
import type { Component } from './component.js';

/** Every business component of the product, in the order their routes are mounted. */
export const components: Component[] = [
  healthComponent,
  tenantsComponent,
  agentsComponent,
  assignmentComponent,
  scoringComponent,
  leadsComponent,
  activityComponent,
  contactsComponent,
  importsComponent,
  queueComponent,
  storageComponent,
  whatsappComponent,
  emailComponent,
  meetingsComponent,
  channelsComponent,
  automationsComponent,
];
