import type { Logger } from 'pino';
import type { ApiKeyAuthenticator } from '../auth/tenant-auth.js';
import type { Config } from '../config/config.js';
import type { PlatformDb } from '../db/platform-database.js';
import type { ServerRegistry } from '../db/server-registry.js';
import type { LeadEvents } from '../leads/lead-events.js';
import type { JobQueue } from '../queue/job-types.js';
import type { Realtime } from '../realtime/realtime.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import type { TenantAdmin } from '../tenants/tenant-admin.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import type { TenantSecrets } from '../tenants/tenant-secrets.js';
import type { StaffAuth } from '../staff/index.js';
import type { ProcessResources } from './process-resources.js';

/** The long-lived objects of one process, built once at start-up and handed to every component. */
export interface AppServices {
  config: Config;
  logger: Logger;
  servers: ServerRegistry;
  platform: PlatformDb;
  /** Decrypted tenant secrets (WhatsApp, SMTP, Google, storage, database). */
  secrets: TenantSecrets;
  connections: TenantConnectionManager;
  tenantAdmin: TenantAdmin;
  authenticator: ApiKeyAuthenticator;
  /** Staff logins: access tokens, sessions and refresh tokens, tenant users as callers. */
  staffAuth: StaffAuth;
  /** Tenants changed in any process: caches of tenant data drop them at once. */
  tenantChanges: TenantChanges;
  realtime: Realtime;
  queue: JobQueue;
  redis?: RedisClient;
  /** Lead lifecycle events (created, assigned, status changed, tags), published after commit. */
  leadEvents: LeadEvents;
  /** Media and files: the platform S3/R2 bucket, or DATA_DIR/media. */
  storage: ObjectStore;
  /** What components started for this process (see `Component.start`), by typed key. */
  resources: ProcessResources;
}
