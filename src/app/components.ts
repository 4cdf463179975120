import { channelsComponent } from '../channels/channels.component.js';
import { emailComponent } from '../email/email.component.js';
import { healthComponent } from '../health/health.component.js';
import { meetingsComponent } from '../meetings/meetings.component.js';
import { storageComponent } from '../storage/storage.component.js';
import { tenantsComponent } from '../tenants/tenants.component.js';
import { whatsappComponent } from '../whatsapp/whatsapp.component.js';
import type { Component } from './component.js';

/** Every business component of the product, in the order their routes are mounted. */
export const components: Component[] = [
  healthComponent,
  tenantsComponent,
  storageComponent,
  whatsappComponent,
  emailComponent,
  meetingsComponent,
  channelsComponent,
];
