import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { postgresAdminUrl, withAdminClient } from './postgres-admin.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { httpRequester, tenantClient, type TenantClient, type TestResponse } from './tenant-client.js';

const adminToken = 'database-outage-admin-token-0123456789';

/**
 * A server process on a private database owned by a private role with a CONNECTION LIMIT, so an
 * outage of that one database (ALLOW_CONNECTIONS false + terminating its backends) disturbs no
 * other database on the shared server, and a connection storm hits the role's limit, not the machine's.
 * A second tenant lives on a dedicated server: a second private database of the same role.
 */
export interface OutageRig {
  server: ServerProcess;
  /** The Node process serving requests (tsx runs it as a child of `server.child`). */
  pid: number;
  role: string;
  database: string;
  request: ReturnType<typeof httpRequester>;
  crm: TenantClient;
  /** The API as the tenant on the dedicated database. */
  dedicatedCrm: TenantClient;
  /** Backends of the role on the default database now (one server's pool and LISTEN clients). */
  connections(): Promise<number>;
  /** Those of them that hold a LISTEN (their last statement). */
  listeners(): Promise<number>;
  openFds(): number;
  /** Refuses new connections to the (default or dedicated) database and terminates its backends. */
  cut(which?: Which): Promise<void>;
  restore(which?: Which): Promise<void>;
  /** Stops the process, restores and drops the database and the role; safe to call after a failure. */
  dispose(): Promise<void>;
}

type Which = 'default' | 'dedicated';

export interface OutageRigOptions {
  poolMax: number;
  connectionLimit: number;
  connectTimeoutMs: number;
  env?: Record<string, string>;
}

export async function startOutageRig(options: OutageRigOptions): Promise<OutageRig> {
  const suffix = randomBytes(5).toString('hex');
  const role = `switchyard_outage_${suffix}`;
  const database = `switchyard_outage_${suffix}`;
  const databases: Record<Which, string> = { default: database, dedicated: `${database}_dedicated` };
  await withAdminClient(async (client) => {
    await client.query(`create role ${role} login connection limit ${options.connectionLimit}`);
    for (const name of Object.values(databases)) await client.query(`create database ${name} owner ${role}`);
  });
  const urlOf = (name: string) => {
    const url = new URL(postgresAdminUrl);
    url.username = role;
    url.password = '';
    url.pathname = `/${name}`;
    return url.toString();
  };

  let server: ServerProcess | undefined;
  const dispose = async () => {
    if (server) await stopWithin(server, 20_000);
    await withAdminClient(async (client) => {
      for (const name of Object.values(databases)) {
        await client.query(`alter database ${name} allow_connections true`);
        await client.query(`drop database if exists ${name} with (force)`);
      }
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role]);
      await client.query(`drop role if exists ${role}`);
    });
  };

  try {
    server = startServerProcess({
      DATABASE_URL: urlOf(databases.default),
      DATA_DIR: `/tmp/${database}`,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PLATFORM_ADMIN_TOKEN: adminToken,
      DB_POOL_MAX: String(options.poolMax),
      DB_CONNECT_TIMEOUT_MS: String(options.connectTimeoutMs),
      // The ingest loop measures outages, not the per-tenant or per-address request budget.
      RATE_LIMIT_MAX: '100000000',
      PREAUTH_RATE_LIMIT_PER_MINUTE: '100000000',
      ...options.env,
    });
    const port = await server.listening;
    const pid = (await server.logged('listening')).pid as number;
    const request = httpRequester(`http://127.0.0.1:${port}`);
    const createTenant = async (code: string, extra: Record<string, string> = {}) => {
      const created = await request<any>('/api/platform/tenants', {
        headers: { authorization: `Bearer ${adminToken}` },
        body: { code, name: code, defaultCountry: 'IN', ...extra },
      });
      if (created.status !== 201) throw new Error(`creating the tenant failed: ${created.text}`);
      const { tenant, apiKey } = created.body.data;
      return tenantClient(request, '/api/crm', {
        'x-client-code': tenant.clientCode,
        'x-api-key': apiKey.apiKey,
      });
    };
    const crm = await createTenant(`outage${suffix}`);
    const dedicatedCrm = await createTenant(`outaged${suffix}`, { databaseUrl: urlOf(databases.dedicated) });
    return {
      server,
      pid,
      role,
      database,
      request,
      crm,
      dedicatedCrm,
      connections: () => countBackends(role, database, ''),
      listeners: () => countBackends(role, database, `and query like 'LISTEN %'`),
      openFds: () => readdirSync(`/proc/${pid}/fd`).length,
      cut: (which = 'default') =>
        withAdminClient(async (client) => {
          await client.query(`alter database ${databases[which]} allow_connections false`);
          await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
            databases[which],
          ]);
        }),
      restore: (which = 'default') =>
        withAdminClient(async (client) => {
          await client.query(`alter database ${databases[which]} allow_connections true`);
        }),
      dispose,
    };
  } catch (error) {
    await dispose().catch(() => undefined);
    throw error;
  }
}

function countBackends(role: string, database: string, condition: string): Promise<number> {
  return withAdminClient(async (client) => {
    const result = await client.query(
      `select count(*)::int as n from pg_stat_activity where usename = $1 and datname = $2 ${condition}`,
      [role, database],
    );
    return result.rows[0].n as number;
  });
}

/** SIGTERM, and SIGKILL if the process has not exited after `ms`. */
export async function stopWithin(server: ServerProcess, ms: number): Promise<void> {
  const timer = setTimeout(() => server.child.kill('SIGKILL'), ms);
  try {
    await server.stop();
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds until `probe` is true, polling every `everyMs`; throws after `withinMs`. */
export async function timeUntil(
  probe: () => Promise<boolean>,
  options: { withinMs: number; everyMs?: number },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > options.withinMs) throw new Error(`not true within ${options.withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}

export const isReady = (rig: OutageRig) => async () => (await rig.request('/health/ready')).status === 200;

/**
 * Posts leads one after another until `stop()`: each answer recorded, the acknowledged ones
 * (201 new, 200 duplicate) by id. Bounded by `max` requests.
 */
export function ingestLoop(crm: TenantClient, options: { max: number; phonePrefix: string }) {
  const acknowledged: string[] = [];
  const statuses = new Map<number, number>();
  const unexpected: TestResponse[] = [];
  let stopped = false;
  const done = (async () => {
    for (let n = 0; n < options.max && !stopped; n++) {
      const phone = `${options.phonePrefix}${String(n).padStart(10 - options.phonePrefix.length, '0')}`;
      const response = await crm.post('/leads', { name: `Outage ${n}`, phone });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 201 || response.status === 200) acknowledged.push(response.body.data.lead.id);
      else if (response.status !== 503) unexpected.push(response);
      // A 503 comes back at once: pace the retries as a client honouring Retry-After would not, but bounded.
      if (response.status === 503) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    acknowledged,
    statuses,
    unexpected,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** How many of `ids` the API returns now (each acknowledged lead must be stored). */
export async function countStored(crm: TenantClient, ids: string[]): Promise<number> {
  let found = 0;
  for (const id of ids) if ((await crm.get(`/leads/${id}`)).status === 200) found++;
  return found;
}
