import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopWithin, timeUntil } from '../testing/database-outage.js';
import { postgresBinDir, startPrivateCluster, type PrivateCluster } from '../testing/private-cluster.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { httpRequester, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { testDatabaseKind } from '../testing/test-database.js';

const poolMax = 5;
/** ROLE=all listens on three channels: tenant changes, tenant memos, jobs. */
const listenClients = 3;
const connectTimeoutMs = 2000;
const downMs = 5000;
const adminToken = 'server-restart-admin-token-0123456789';
const database = 'switchyard';

/** The binaries are required in CI; elsewhere a machine without them skips this file after a loud warning. */
function binDirForTests(): string | undefined {
  if (testDatabaseKind !== 'postgres') return undefined;
  const binDir = postgresBinDir();
  if (binDir) return binDir;
  if (process.env.CI === 'true') {
    throw new Error('The Postgres server binaries (initdb, pg_ctl) are required in CI; set PG_BIN_DIR');
  }
  console.warn(
    '\n!!! No Postgres server binaries (initdb, pg_ctl): the private-cluster restart is SKIPPED.\n',
  );
  return undefined;
}

const binDir = binDirForTests();

// A whole server of its own: restarting it disturbs no other test, and the shared server is never touched.
describe.runIf(binDir !== undefined)('a full restart of the Postgres server (private cluster)', () => {
  let cluster: PrivateCluster | undefined;
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  let request: ReturnType<typeof httpRequester>;
  let tenantHeaders: Record<string, string>;
  let crm: TenantClient;

  beforeAll(async () => {
    cluster = await startPrivateCluster(binDir!);
    await cluster.withClient((client) => client.query(`create database ${database}`));
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-restart-'));
    server = startServerProcess({
      DATABASE_URL: cluster.urlOf(database),
      DATA_DIR: dataDir,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PLATFORM_ADMIN_TOKEN: adminToken,
      DB_POOL_MAX: String(poolMax),
      DB_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
    });
    request = httpRequester(`http://127.0.0.1:${await server.listening}`);
    const created = await request<any>('/api/platform/tenants', {
      headers: { authorization: `Bearer ${adminToken}` },
      body: { code: 'restart', name: 'Restart', defaultCountry: 'IN' },
    });
    if (created.status !== 201) throw new Error(`creating the tenant failed: ${created.text}`);
    const { tenant, apiKey } = created.body.data;
    tenantHeaders = { 'x-client-code': tenant.clientCode, 'x-api-key': apiKey.apiKey };
    crm = tenantClient(request, '/api/crm', tenantHeaders);
  }, 60_000);

  afterAll(async () => {
    try {
      if (server) await stopWithin(server, 20_000);
    } finally {
      await cluster?.dispose();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);

  const isReady = async () => (await request('/health/ready')).status === 200;
  /** Backends of the server process on the cluster (the test's own connection is to another database). */
  const backends = (condition = '') =>
    cluster!.withClient(async (client) => {
      const result = await client.query(
        `select count(*)::int as n from pg_stat_activity where datname = $1 ${condition}`,
        [database],
      );
      return result.rows[0].n as number;
    });

  it('answers 503 while the server is down, resumes once it is back, and the worker claims again', async () => {
    expect((await crm.post('/leads', { name: 'Before', phone: '9700000001' })).status).toBe(201);

    await cluster!.stop('fast');
    try {
      expect((await request('/health/live')).status).toBe(200);
      await timeUntil(async () => !(await isReady()), { withinMs: 30_000 });
      // Answered while the server is still down (it starts only after this answer): the request
      // gave up on the pool instead of waiting for the server.
      const refused = await crm.post<any>('/leads', { name: 'During', phone: '9700000002' });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('database_unavailable');
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      expect((await request('/health/live')).status).toBe(200);
    } finally {
      await cluster!.start();
    }

    // Ready again with no restart of the process (how soon is `pnpm bench:outage`'s measure).
    await timeUntil(isReady, { withinMs: 30_000 });
    expect((await crm.post('/leads', { name: 'After', phone: '9700000003' })).status).toBe(201);

    // The job worker claims again: a background import runs to its end.
    const csv = ['Name,Mobile', ...Array.from({ length: 10 }, (_, i) => `Import ${i},97100000${i}0`)].join(
      '\r\n',
    );
    const accepted = await request<any>('/api/crm/leads/import?mode=background', {
      headers: { ...tenantHeaders, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(accepted.status).toBe(202);
    const importId = accepted.body.data.id as string;
    await expect
      .poll(async () => (await crm.get<any>(`/imports/${importId}`)).body.data.status, { timeout: 30_000 })
      .toBe('completed');
    expect((await crm.get<any>(`/imports/${importId}`)).body.data).toMatchObject({ created: 10, failed: 0 });

    // Every LISTEN client is back (they reconnect on their own), and nothing more than the pool.
    await timeUntil(async () => (await backends(`and query like 'LISTEN %'`)) === listenClients, {
      withinMs: 30_000,
    });
    expect(await backends()).toBeLessThanOrEqual(poolMax + listenClients);
  }, 180_000);
});
