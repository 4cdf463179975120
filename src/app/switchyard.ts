import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import swaggerUi from 'swagger-ui-express';
import { ApiKeyAuthenticator } from '../auth/tenant-auth.js';
import type { Config } from '../config/config.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { DatabaseServer } from '../db/database-server.js';
import { loadSchemaChanges, migrateSchema } from '../db/migrate.js';
import { platformSchema, type PlatformDb } from '../db/platform-database.js';
import { openPGliteServer } from '../db/pglite-server.js';
import { openPostgresServer } from '../db/postgres-server.js';
import { ServerRegistry } from '../db/server-registry.js';
import { createHttpApp } from '../http/create-app.js';
import { drainableHttpServer } from '../http/http-drain.js';
import { createHttpServer } from '../http/http-server.js';
import { buildOpenApiDocument, createOpenApiRegistry } from '../http/openapi.js';
import { LeadEvents } from '../leads/lead-events.js';
import { createLogger } from '../logging/logger.js';
import { JobWorker } from '../queue/job-worker.js';
import { PostgresJobQueue } from '../queue/postgres-job-queue.js';
import { CronScheduler } from '../cron/cron-scheduler.js';
import { Realtime } from '../realtime/realtime.js';
import { connectRedis } from '../redis/redis-client.js';
import { createObjectStore } from '../storage/create-object-store.js';
import { TenantConnectionManager } from '../tenancy/connection-manager.js';
import { tenantMemoChannel } from '../tenancy/tenant-memo.js';
import { TenantAdmin } from '../tenants/tenant-admin.js';
import { TenantChanges, tenantChangesChannel } from '../tenancy/tenant-changes.js';
import { TenantSecrets } from '../tenants/tenant-secrets.js';
import { createStaffAuth } from '../staff/index.js';
import { whatsappSecretHook } from '../whatsapp/webhook/route-registration.js';
import { startComponents } from './component-lifecycle.js';
import { components } from './components.js';
import { registerRecordHooks } from '../tenancy/record-hooks.js';
import { ProcessResources } from './process-resources.js';
import { removeServerInfo, writeServerInfo } from './server-info.js';
import { buildRouters } from './components.js';
import type { AppServices } from './services.js';

export interface Switchyard {
  services: AppServices;
  httpServer?: HttpServer;
  /** The port the HTTP server listens on (useful with PORT=0). */
  port?: number;
  /** The job worker and cron scheduler (worker role only). */
  worker?: JobWorker;
  cron?: CronScheduler;
  stop(): Promise<void>;
}

function poolOptions(config: Config) {
  return { poolMax: config.database.poolMax, connectTimeoutMs: config.database.connectTimeoutMs };
}

export async function openDefaultServer(config: Config, logger: Logger): Promise<DatabaseServer> {
  return config.database.url
    ? openPostgresServer(config.database.url, { ...poolOptions(config), logger })
    : openPGliteServer(config.database.dataDir);
}

/** Builds the services of one process: database, platform schema, tenancy, auth. */
export async function openServices(config: Config, logger: Logger): Promise<AppServices> {
  const defaultServer = await openDefaultServer(config, logger);
  try {
    await migrateSchema(defaultServer.db, platformSchema, loadSchemaChanges('platform'));
    const servers = new ServerRegistry(defaultServer, { ...poolOptions(config), logger });
    const platform = defaultServer.db.withSchema(platformSchema) as PlatformDb;
    const secretBox = new SecretBox(config.secrets.currentKey, config.secrets.previousKeys);
    const secrets = new TenantSecrets(platform, secretBox);
    const connections = new TenantConnectionManager({
      servers,
      maxCachedTenants: config.tenancy.maxCachedTenants,
      logger,
      dedicatedUrlOf: async (tenant) => {
        const secret = await secrets.read(tenant.id, 'database');
        if (!secret) throw new Error(`Tenant ${tenant.clientCode} has no dedicated database URL`);
        return secret.url;
      },
    });
    const tenantChanges = new TenantChanges();
    const tenantAdmin = new TenantAdmin({
      platform,
      changes: tenantChanges,
      secrets,
      connections,
      secretHooks: { whatsapp: whatsappSecretHook },
    });
    const staffAuth = createStaffAuth({ config, platform, connections, changes: tenantChanges });
    const authenticator = new ApiKeyAuthenticator({
      platform,
      connections,
      cacheTtlMs: config.tenancy.authCacheTtlMs,
      changes: tenantChanges,
      logger,
      users: staffAuth.users,
    });
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
    const realtime = await Realtime.create({
      authenticator,
      users: staffAuth.users,
      changes: tenantChanges,
      corsOrigins: config.http.corsOrigins,
      redis,
      redisKey: config.realtimeRedisKey,
      logger,
    });
    return {
      config,
      logger,
      servers,
      platform,
      secrets,
      connections,
      tenantAdmin,
      authenticator,
      staffAuth,
      tenantChanges,
      realtime,
      redis,
      leadEvents: new LeadEvents(logger),
      storage: createObjectStore(config),
      queue: new PostgresJobQueue(defaultServer.db, componentJobs()),
      resources: new ProcessResources(),
    };
  } catch (error) {
    await defaultServer.close();
    throw error;
  }
}

function componentJobs() {
  return components.flatMap((component) => component.jobs ?? []);
}

/** What a stop keeps, of its bound, for cutting connections still in use and exiting. */
const poolCutReserveMs = 1500;

/** Starts one Switchyard process in the role the config names. */
export async function startSwitchyard(
  config: Config,
  logger = createLogger({ level: config.logLevel }),
): Promise<Switchyard> {
  for (const warning of config.warnings) logger.warn(warning);
  const serveHttp = config.role !== 'worker';
  const httpServer = serveHttp ? createHttpServer(config.http) : undefined;
  const services = await openServices(config, logger);
  const stopListening = await services.servers.defaultServer.listen(tenantChangesChannel, (tenantId) =>
    services.tenantChanges.changed(tenantId || null),
  );
  const stopMemoListening = await services.servers.defaultServer.listen(tenantMemoChannel, (payload) =>
    services.connections.onMemoNotice(payload),
  );
  for (const component of components) registerRecordHooks(component.recordHooks ?? {});
  // Every role: a worker's jobs change leads too, and its events must reach dashboards.
  const stopComponents = await startComponents(components, services);

  let port: number | undefined;
  let http: ReturnType<typeof drainableHttpServer> | undefined;
  if (httpServer) {
    const registry = createOpenApiRegistry();
    const routers = buildRouters(services, registry);
    const document = buildOpenApiDocument(registry);
    const listener = createHttpApp({
      logger,
      corsOrigins: config.http.corsOrigins,
      bodyLimit: config.http.bodyLimit,
      trustProxy: config.http.trustProxy,
      jsonMaxDepth: config.http.jsonMaxDepth,
      routers,
      extra: [
        { path: '/api/openapi.json', handler: (_req, res) => void res.json(document) },
        { path: '/api/docs', handler: [...swaggerUi.serve, swaggerUi.setup(document)] },
      ],
    });
    http = drainableHttpServer(httpServer);
    httpServer.on('request', listener);
    services.realtime.attach(httpServer);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    port = (httpServer.address() as AddressInfo).port;
    if (services.servers.defaultServer.kind === 'pglite') writeServerInfo(config.database.dataDir, port);
    logger.info({ port, role: config.role, database: services.servers.defaultServer.label }, 'listening');
  }

  // Requests and jobs drain side by side within most of the shutdown bound; the rest is for
  // returning unfinished jobs and closing pools, so the process ends within SHUTDOWN_TIMEOUT_MS.
  const drainMs = Math.floor(config.shutdownTimeoutMs * 0.7);
  let worker: JobWorker | undefined;
  let cron: CronScheduler | undefined;
  if (config.role !== 'web') {
    worker = new JobWorker(services, componentJobs(), {
      ...config.queue,
      // The worker may wait its grace twice (running jobs, then recording their outcomes).
      shutdownGraceMs: Math.floor(drainMs / 2),
    });
    await worker.start();
    cron = new CronScheduler(
      services,
      components.flatMap((component) => component.cron ?? []),
    );
    cron.start();
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await Promise.all([
        http?.close(drainMs),
        (async () => {
          await cron?.stop();
          await worker?.stop();
        })(),
      ]);
      await stopComponents();
      await services.realtime.close();
      await stopListening();
      await stopMemoListening();
      await services.redis?.quit().catch(() => undefined);
      // Connections still held by work the worker gave up on are cut, not waited for, near the bound.
      await services.servers.close({ graceMs: Math.max(0, deadline - Date.now() - poolCutReserveMs) });
      if (httpServer && services.servers.defaultServer.kind === 'pglite') {
        removeServerInfo(config.database.dataDir);
      }
      logger.info('stopped');
    })());

  return { services, httpServer, port, worker, cron, stop };
}
