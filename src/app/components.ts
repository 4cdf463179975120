import { activityComponent } from '../activity/activity.component.js';
import { agentsComponent } from '../agents/agents.component.js';
import { assignmentComponent } from '../assignment/assignment.component.js';
import { automationsComponent } from '../automations/automations.component.js';
import { calendarsComponent } from '../calendars/calendars.component.js';
import { channelsComponent } from '../channels/channels.component.js';
import { cohortsComponent } from '../cohorts/cohorts.component.js';
import { contactsComponent } from '../contacts/contacts.component.js';
import { dashboardComponent } from '../dashboard/dashboard.component.js';
import { dealsComponent } from '../deals/deals.component.js';
import { callRulesComponent } from '../call-rules/call-rules.component.js';
import { callStatsComponent } from '../call-stats/call-stats.component.js';
import { callsComponent } from '../calls/calls.component.js';
import { dialerComponent } from '../dialer/dialer.component.js';
import { emailComponent } from '../email/email.component.js';
import { erasureComponent } from '../erasure/erasure.component.js';
import { healthComponent } from '../health/health.component.js';
import { importsComponent } from '../imports/imports.component.js';
import { leadsComponent } from '../leads/leads.component.js';
import { meetingsComponent } from '../meetings/meetings.component.js';
import { pipelinesComponent } from '../pipelines/pipelines.component.js';
import { presenceComponent } from '../presence/index.js';
import { queueComponent } from '../queue/queue.component.js';
import { quotationsComponent } from '../quotations/quotations.component.js';
import { tasksComponent } from '../tasks/index.js';
import { scoringComponent } from '../scoring/scoring.component.js';
import { signalsComponent } from '../signals/signals.component.js';
import { staffComponent } from '../staff/staff.component.js';
import { storageComponent } from '../storage/storage.component.js';
import { tenantsComponent } from '../tenants/tenants.component.js';
import { whatsappComponent } from '../whatsapp/whatsapp.component.js';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { platformAuth } from '../auth/platform-auth.js';
import { addressRateLimit, FallbackWindows, MemoryWindows, tenantRateLimit } from '../auth/rate-limit.js';
import { requireScope, tenantAuth, type ApiScope } from '../auth/tenant-auth.js';
import { ApiRouter } from '../http/api-router.js';
import type { Component, Routers } from './component.js';
import type { AppServices } from './services.js';

/** Every business component of the product, in the order their routes are mounted. */
export const components: Component[] = [
  healthComponent,
  tenantsComponent,
  staffComponent,
  agentsComponent,
  assignmentComponent,
  scoringComponent,
  leadsComponent,
  activityComponent,
  contactsComponent,
  pipelinesComponent,
  dealsComponent,
  erasureComponent,
  importsComponent,
  cohortsComponent,
  quotationsComponent,
  tasksComponent,
  queueComponent,
  storageComponent,
  whatsappComponent,
  emailComponent,
  meetingsComponent,
  channelsComponent,
  automationsComponent,
  calendarsComponent,
  signalsComponent,
  callRulesComponent,
  presenceComponent,
  callsComponent,
  dialerComponent,
  callStatsComponent,
  dashboardComponent,
];

/** Builds the route families and lets every component register its routes on them. */
export function buildRouters(services: AppServices, registry: OpenAPIRegistry): ApiRouter[] {
  const { config, redis } = services;
  const windowsOf = (windowMs: number) =>
    redis ? new FallbackWindows(redis, windowMs) : new MemoryWindows(windowMs);
  const rateLimiter = tenantRateLimit({ ...config.rateLimit, windows: windowsOf(config.rateLimit.windowMs) });
  const minute = 60_000;
  const addressLimiter = addressRateLimit({
    windowMs: minute,
    max: config.preauthRateLimitPerMinute,
    windows: windowsOf(minute),
    trustProxy: config.http.trustProxy,
  });
  const tenantFamily = (base: string, tag: string, scope: ApiScope) =>
    new ApiRouter(base, registry, {
      tag,
      security: 'tenant',
      middleware: [
        addressLimiter,
        tenantAuth(services.authenticator, services.staffAuth.users),
        rateLimiter,
        requireScope(scope),
      ],
    });

  const routers: Routers = {
    open: new ApiRouter('', registry, { tag: 'Health', security: 'none' }),
    auth: new ApiRouter('/api/auth', registry, {
      tag: 'Authentication',
      security: 'none',
      middleware: [addressLimiter],
    }),
    platform: new ApiRouter('/api/platform', registry, {
      tag: 'Platform',
      security: 'platform',
      middleware: [addressLimiter, platformAuth(config.platformAdminToken, services.staffAuth.platformStaff)],
    }),
    crm: tenantFamily('/api/crm', 'CRM', 'crm'),
    automations: tenantFamily('/api/automations', 'Automations', 'automations'),
  };
  for (const component of components) component.routes?.(routers, services);
  return [routers.open, routers.auth, routers.platform, routers.crm, routers.automations];
}
