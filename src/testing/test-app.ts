import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startSwitchyard, type Switchyard } from '../app/switchyard.js';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import type { Tenant } from '../tenancy/tenant.js';
import {
  httpRequester,
  tenantClient,
  type RequestOptions,
  type TenantClient,
  type TestResponse,
} from './tenant-client.js';

export type { RequestOptions, TestResponse };
import { createMigratedTestDatabase, type TestDatabase } from './test-database.js';

export const testAdminToken = 'test-platform-admin-token-0123456789';

export interface TestTenant {
  tenant: Tenant;
  apiKey: string;
  headers: Record<string, string>;
}

export interface TestApp {
  app: Switchyard;
  config: Config;
  database: TestDatabase;
  baseUrl: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  request<T = any>(path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** Creates a tenant through the platform API and returns headers that authenticate as it. */
  createTenant(code?: string, extra?: Record<string, unknown>): Promise<TestTenant>;
  /** `/api/crm` as the tenant. */
  crm(tenant: TestTenant): TenantClient;
  /** `/api/automations` as the tenant. */
  automations(tenant: TestTenant): TenantClient;
  close(): Promise<void>;
}

/**
 * Starts a whole Switchyard process in-process, on a fresh database (platform schema migrated,
 * no tenants) unless given one, listening on a free port.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  database?: TestDatabase,
): Promise<TestApp> {
  const db = database ?? (await createMigratedTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: db.dataDir,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: testAdminToken,
    // Every test request comes from 127.0.0.1: the per-address budget is for tests that set it.
    PREAUTH_RATE_LIMIT_PER_MINUTE: '100000000',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      callback();
    },
  });
  const app = await startSwitchyard(config, createLogger({ level: config.logLevel }, sink));
  const baseUrl = `http://127.0.0.1:${app.port}`;
  // The port is known only once listening: links and provider callbacks (Twilio) must reach this app.
  if (!env.PUBLIC_BASE_URL) (app.services.config as { publicBaseUrl: string }).publicBaseUrl = baseUrl;

  const request = httpRequester(baseUrl);

  let tenantCounter = 0;
  return {
    app,
    config,
    database: db,
    baseUrl,
    logs,
    request,
    crm: (tenant) => tenantClient(request, '/api/crm', tenant.headers),
    automations: (tenant) => tenantClient(request, '/api/automations', tenant.headers),
    async createTenant(code, extra = {}) {
      const clientCode = code ?? `tenant${++tenantCounter}_${randomBytes(3).toString('hex')}`;
      const response = await request<any>('/api/platform/tenants', {
        headers: { authorization: `Bearer ${testAdminToken}` },
        body: { code: clientCode, name: `Tenant ${clientCode}`, ...extra },
      });
      if (response.status !== 201) throw new Error(`createTenant failed: ${response.text}`);
      const { tenant, apiKey } = response.body.data;
      return {
        tenant,
        apiKey: apiKey.apiKey,
        headers: { 'x-client-code': tenant.clientCode, 'x-api-key': apiKey.apiKey },
      };
    },
    async close() {
      await app.stop();
      if (!database) await db.drop();
    },
  };
}
